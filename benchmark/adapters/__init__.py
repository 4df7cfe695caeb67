"""Models: every model loads as an `ImageTextModel` (core/protocol.py); open_clip models as a `ClipAdapter`.

Three floors, each importing only the ones below it:
- core/: the protocol, the registries, `load_model`, checkpoint files, weights, `hf:` sources, positional tables;
- backends/: open_clip/, transformers/ and remote/ (opt-in remote code), each registering the names it loads;
- families/: registry entries only, one module per model family, all imported here: a family is added by adding a
  file.
"""

from __future__ import annotations

from . import backends, families  # noqa: F401 -- imported for the prefixes, folder formats and models they register
from .backends.open_clip.adapter import ClipAdapter
from .core.loading import load_checkpoint, load_model
from .core.protocol import ImageTextModel, TextSpec, TokenBatch
from .core.registry import MODELS, PREFIXES, ModelSpec, register_model, register_prefix
from .core.weights import weights_dir

__all__ = ["MODELS", "PREFIXES", "ClipAdapter", "ImageTextModel", "ModelSpec", "TextSpec", "TokenBatch",
           "load_checkpoint", "load_model", "register_model", "register_prefix", "weights_dir"]
