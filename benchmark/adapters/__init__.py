"""Model backends: every model loads as an `ImageTextModel` (protocol.py); open_clip models as a `ClipAdapter`.

All modules here are imported so that their registry entries exist: a model family is added by adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import ClipAdapter
from .loading import load_checkpoint, load_model
from .protocol import ImageTextModel, TextSpec, TokenBatch
from .registry import MODELS, PREFIXES, ModelSpec, register_model, register_prefix
from .weights import weights_dir

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["MODELS", "PREFIXES", "ClipAdapter", "ImageTextModel", "ModelSpec", "TextSpec", "TokenBatch",
           "load_checkpoint", "load_model", "register_model", "register_prefix", "weights_dir"]
