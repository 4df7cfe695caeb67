"""`hf:` names: where a checkpoint's files are on this machine (a local folder, or a Hub snapshot in the cache) and
the commit they came from. The transformers and the remote-code backends both read their checkpoints through this.

`hf:ORG/REPO[@REVISION][#VARIANT]` or `hf:FOLDER[@PIN][#VARIANT]`: the revision pins the files (a commit is recorded
in provenance); the variant picks a family's mode (FG-CLIP `#long`, LLM2CLIP `#llm=...`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...data.paths import require_regular_file
from ...errors import CheckpointError, UnknownNameError, WeightsNotFoundError
from ...offline import offline

#: Files a transformers checkpoint needs: configs, tokenizer files and the model's own safetensors (pickled `.bin`
#: weights and extra exports such as a text-encoder-only file are never fetched).
SNAPSHOT_FILES = ["*.json", "model*.safetensors", "*.txt", "*.model", "*.tiktoken"]
COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Source:
    """Where a checkpoint's files are on this machine, and what they are pinned to."""

    name: str  # the model name as given, `hf:...`
    folder: Path
    repo: str | None  # ORG/REPO, None for a local folder
    revision: str | None  # the commit the files came from (None for a local folder)
    variant: str | None = None  # `#VARIANT`: a family's mode (FG-CLIP `long`)
    #: The checkpoint's own code runs (backends/remote/: only opted in and pinned).
    remote_code: bool = False

    @property
    def config(self) -> dict[str, Any]:
        """config.json, checked to be a JSON object whose text and vision configs (which longbench reads) are
        objects too."""
        path = self.folder / "config.json"
        require_regular_file(path, "hf config", CheckpointError)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CheckpointError(f"{self.name}: no config.json in {self.folder} (expected a transformers "
                                  "checkpoint folder)") from None
        except ValueError as exc:
            raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise CheckpointError(f"{path}: expected a JSON object (a transformers config), found "
                                  f"{type(data).__name__}")
        for key in ("text_config", "vision_config"):
            if data.get(key) is not None and not isinstance(value := data[key], dict):
                raise CheckpointError(f"{path}: expected {key!r} to be a JSON object, found {type(value).__name__}")
        return data


def split_name(spec: str) -> tuple[str, str | None, str | None]:
    """`REPO_OR_FOLDER[@REVISION][#VARIANT]` -> (target, revision, variant)."""
    target, _, variant = spec.partition("#")
    if Path(target).expanduser().is_dir():
        return target, None, variant or None
    target, _, revision = target.partition("@")
    return target, revision or None, variant or None


def resolve_source(spec: str, patterns: Sequence[str] = SNAPSHOT_FILES) -> Source:
    """A local folder as is; a Hub repo as a snapshot of `patterns` at its revision (cache first)."""
    target, revision, variant = split_name(spec)
    name = f"hf:{spec}"
    folder = Path(target).expanduser()
    if folder.is_dir():
        return Source(name, folder.resolve(), None, None, variant)
    if target.count("/") != 1 or not all(target.split("/")):
        raise UnknownNameError(f"{name}: expected hf:ORG/REPO[@REVISION] or hf:FOLDER (an existing folder)")
    from huggingface_hub import snapshot_download

    try:
        path = Path(snapshot_download(target, revision=revision, allow_patterns=list(patterns),
                                      local_files_only=offline()))
    except Exception as exc:  # the Hub client raises many types (HTTP, offline, auth, missing revision)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsNotFoundError(f"{name}: could not get the checkpoint from the Hugging Face Hub ({reason})") \
            from None
    # snapshot_download returns .../snapshots/<commit>: the commit every file came from.
    commit = path.name if COMMIT.fullmatch(path.name) else revision
    return Source(name, path, target, commit, variant)
