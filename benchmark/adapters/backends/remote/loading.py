"""Opt-in remote code: transformers checkpoints whose modelling code ships in the repository (FG-CLIP, ...).

Loading such a checkpoint runs its authors' Python on this machine, so it is refused unless both hold:
- the caller opted in (`--trust-remote-code`, `RunConfig.trust_remote_code`, `load_model(trust_remote_code=True)`);
- the code is pinned: `hf:ORG/REPO@<40-hex commit>` (a branch or tag can move), or for a local folder
  `hf:FOLDER@<code digest>`, the first 40 hex digits of the SHA-256 over its `.py` files (the refusal prints it).
Code fetched from another repository (`auto_map` entries `OTHER/REPO--module.Class`) is not covered by that pin and
is refused. The pin and the opt-in are recorded in the result's provenance.

Each family (REMOTE_FAMILIES, keyed by the class named in `architectures`) is a small module in this package
(fgclip.py, fgclip2.py, llm2clip.py) mapping the authors' calls onto the model protocol. The transformers backend
hands these checkpoints here through its CODE_LOADERS, where this module registers `load_remote`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ....errors import LongbenchError, RemoteCodeError
from ....registry import Registry
from ...core.hf_source import COMMIT, SNAPSHOT_FILES, Source, resolve_source, split_name
from ...core.protocol import ImageTextModel
from ..transformers.loading import CODE_LOADERS, REMOTE_CODE, transformers
from ..transformers.model_types import FAMILIES

FLAG = "--trust-remote-code"


@dataclass(frozen=True)
class RemoteFamily:
    description: str
    #: (source, transformers module) -> the model behind the protocol.
    load: Callable[[Source, Any], ImageTextModel]
    #: File patterns fetched besides SNAPSHOT_FILES and the code (e.g. a pickled `pytorch_model.bin`: the opt-in
    #: already runs the repository's code).
    files: tuple[str, ...] = ()


REMOTE_FAMILIES: Registry[RemoteFamily] = Registry("remote-code model family")


def code_digest(folder: Path) -> str:
    """40 hex digits of the SHA-256 over the folder's Python files (names and contents, sorted)."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:40]


def _code_classes(raw: dict[str, Any]) -> list[str]:
    return sorted(set(raw.get("architectures") or []))


def refuse_without_trust(source: Source, raw: dict[str, Any]) -> None:
    """Called for a checkpoint the transformers backend cannot load without running its code."""
    what = ", ".join(_code_classes(raw)) or raw.get("model_type") or "unknown"
    raise RemoteCodeError(f"{source.name}: this checkpoint ({what}) needs code from its repository; to run it pass "
                          f"{FLAG} and pin the code (hf:ORG/REPO@<40-hex commit>, or hf:FOLDER@<code digest>)")


def check_pin(spec: str, source: Source) -> str:
    """The pinned revision, or a refusal naming what is missing."""
    _, revision, _ = split_name(spec)
    if source.repo is None:
        digest = code_digest(source.folder)
        if revision != digest:
            got = f"@{revision} does not match" if revision else "no pin for"
            raise RemoteCodeError(f"{source.name}: {got} the code in {source.folder}; its code digest is {digest} "
                                  f"(run hf:{source.folder}@{digest} {FLAG} after reading that code)")
        return digest
    if not revision or not COMMIT.fullmatch(revision):
        raise RemoteCodeError(f"{source.name}: remote code runs only from a pinned commit: hf:{source.repo}@<40-hex "
                              f"commit> (a branch or tag can move), with {FLAG}")
    return revision


def _refuse_foreign_code(source: Source, raw: dict[str, Any]) -> None:
    auto = raw.get("auto_map") or {}
    foreign = sorted({v.split("--")[0] for v in auto.values() if isinstance(v, str) and "--" in v})
    if foreign:
        raise RemoteCodeError(f"{source.name}: its code comes from another repository ({', '.join(foreign)}), which "
                              "the pin of this one does not cover: refused")


def load_remote(spec: str, source: Source, raw: dict[str, Any], trust_remote_code: bool) -> ImageTextModel:
    """A remote-code checkpoint, only when opted in and pinned; the family maps the authors' calls.

    A checkpoint no family reads is refused first: the opt-in and the pin could not make it load.
    """
    classes = _code_classes(raw)
    known = [c for c in classes if c in REMOTE_FAMILIES]
    if not known:
        what = ", ".join(classes) or f"model_type {raw.get('model_type')!r}"
        raise RemoteCodeError(f"{source.name}: no longbench family reads {what} (transformers backend: "
                              f"{', '.join(FAMILIES)}; with {FLAG}: {', '.join(REMOTE_FAMILIES)})")
    if not trust_remote_code:
        refuse_without_trust(source, raw)
    pin = check_pin(spec, source)
    _refuse_foreign_code(source, raw)
    family = REMOTE_FAMILIES.get(known[0])
    if source.repo:  # fetch the code too, at the pinned commit
        source = resolve_source(spec, [*SNAPSHOT_FILES, "*.py", *family.files])
    source = replace(source, revision=pin, remote_code=True)
    try:
        return family.load(source, transformers())
    except LongbenchError:
        raise
    except Exception as exc:  # noqa: BLE001 -- the repository's own code failed: any error it raises is one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise RemoteCodeError(f"{source.name}: its code ran but the model does not fit longbench's {known[0]} "
                              f"family ({type(exc).__name__}: {reason})") from None


CODE_LOADERS.add(REMOTE_CODE, load_remote)
