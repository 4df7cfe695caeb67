"""Named models (`clip-B`, `longclip-L`, ...), name prefixes (`open_clip:ARCH@TAG`, `stretched:clip-B`), model
folder formats and checkpoint-file layouts: what the backends register and `load_model` (loading.py) looks up.

A model is added by adding one module to `adapters/families/` that calls `register_model(ModelSpec(...))`; a family
of names resolved by pattern registers a prefix with `register_prefix` (the backends do, in `adapters/backends/`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...registry import Registry
from .weights import local_weights

if TYPE_CHECKING:
    from .protocol import ImageTextModel


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    architecture: str
    context_length: int
    hf_repo: str | None = None
    hf_filename: str | None = None
    #: File name looked up in the weights folder ($LONGBENCH_WEIGHTS).
    local_filename: str | None = None
    #: For models whose weights are made in code (the tiny random models): builds the adapter directly.
    build: Callable[[ModelSpec], ImageTextModel] | None = None
    #: The backend that loads it (open_clip, hf, ...).
    backend: str = "open_clip"
    #: The weights' licence, as their publisher states it (recorded in results, shown on the leaderboard).
    licence: str | None = None
    #: Image resolution in pixels (square).
    resolution: int | None = None
    #: Loaded through another name (`open_clip:ARCH@TAG`, `hf-hub:ORG/REPO`) instead of a weights file.
    load_as: str | None = None
    #: A prefixed name that loads this entry's weights file, found like any registry file (--checkpoint, the weights
    #: folder, the Hub cache, a download): `tulip:ViT-L-14@openai`, `lotlip:ViT-B-16`.
    load_file_as: str | None = None
    #: The Hub commit `hf_filename` is read at; None where none could be pinned (the description says why).
    revision: str | None = None
    #: Why the model cannot be loaded: listed so that `longbench models` says so instead of leaving it out.
    unavailable: str | None = None
    #: The name cannot load, but the model runs as opt-in remote code (`unavailable` says how), not never.
    opt_in: bool = False

    @property
    def weights_source(self) -> str:
        if self.build:
            return "built in (random weights)"
        if self.unavailable:
            return "-"
        if not self.hf_repo:
            return str(self.load_as)
        where = f"hf://{self.hf_repo}" + (f"@{self.revision[:8]}" if self.revision else "")
        return f"{where}/{self.hf_filename}" if self.hf_filename else f"{where} (file name not recorded)"

    def local_path(self) -> Path | None:
        """The weights file on this machine, or None (always None for built-in models, which need none)."""
        if self.build or self.unavailable:
            return None
        return local_weights(self.local_filename, self.hf_repo, self.hf_filename, self.revision)


#: A prefix (or folder) resolver gets the text after `prefix:` (or the folder), the optional --checkpoint path and,
#: as a keyword, `trust_remote_code` (whether the user allowed a checkpoint's own code to run; see
#: backends/remote/loading.py).
PrefixResolver = Callable[..., "ImageTextModel"]

MODELS: Registry[ModelSpec] = Registry("model")
PREFIXES: Registry[PrefixResolver] = Registry("model prefix")
#: Model folders, by the file that marks their format (`open_clip_config.json`, `config.json`, ...).
FOLDERS: Registry[PrefixResolver] = Registry("model folder format")
#: A builder gets a checkpoint file's tensors (`read_checkpoint`'s state dict) and, as keywords, `name`, `source`,
#: `checkpoint` and `sha256`, and returns the model.
StateDictBuilder = Callable[..., "ImageTextModel"]
#: Checkpoint files, by the key layout their tensors follow (checkpoint_files.CLIP_LAYOUT): the backend that builds
#: that layout registers itself here, so that `load_checkpoint` imports no backend.
STATE_DICTS: Registry[StateDictBuilder] = Registry("checkpoint layout")


def register_model(spec: ModelSpec) -> ModelSpec:
    return MODELS.add(spec.name, spec)


def register_prefix(prefix: str) -> Callable[[PrefixResolver], PrefixResolver]:
    return PREFIXES.register(prefix)


def register_folder(marker: str) -> Callable[[PrefixResolver], PrefixResolver]:
    """A resolver for folders holding `marker`; it gets the folder path and the optional --checkpoint."""
    return FOLDERS.register(marker)


def folder_resolver(folder: Path) -> PrefixResolver | None:
    """The resolver of the most specific marker present (`open_clip_config.json` before `config.json`: open_clip
    repositories on the Hub also carry a timm `config.json`)."""
    for marker, resolver in sorted(FOLDERS.items(), key=lambda item: -len(item[0])):
        if (folder / marker).is_file():
            return resolver
    return None
