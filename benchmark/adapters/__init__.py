"""Models: every model loads as an `ImageTextModel` (core/protocol.py); open_clip models as a `ClipAdapter`.

Three floors, each importing only the ones below it:
- core/: the protocol, the registries, `load_model`, checkpoint files, weights, `hf:` sources, positional tables;
- backends/: open_clip/, transformers/ and remote/ (opt-in remote code), each registering the names it loads;
- families/: registry entries only, one module per model family: a family is added by adding a file.

The backends and families are imported when a registry is first read (a name looked up, the models listed), not
with this package: they import open_clip and transformers, seconds that a run which loads no model (every result
already there, or every embedding cached: runner.py) does not pay.
"""

from __future__ import annotations

from importlib import import_module

from .core.loading import load_checkpoint, load_model
from .core.protocol import ImageTextModel, TextSpec, TokenBatch
from .core.registry import FOLDERS, MODELS, PREFIXES, STATE_DICTS, ModelSpec, register_model, register_prefix
from .core.weights import weights_dir


def _register_all() -> None:
    import_module(f"{__name__}.backends")
    import_module(f"{__name__}.families")


for _registry in (MODELS, PREFIXES, FOLDERS, STATE_DICTS):
    _registry.fill_on_first_use(_register_all)


def __getattr__(name: str):
    if name == "ClipAdapter":  # the open_clip backend's adapter: importing it imports open_clip
        return import_module(f"{__name__}.backends.open_clip.adapter").ClipAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MODELS", "PREFIXES", "ClipAdapter", "ImageTextModel", "ModelSpec", "TextSpec", "TokenBatch",
           "load_checkpoint", "load_model", "register_model", "register_prefix", "weights_dir"]
