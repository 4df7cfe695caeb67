"""The transformers backend: `hf:` checkpoints of a known `model_type` (model_types.py), loaded without running their
code (loading.py) as an `HFModel` (model.py), tokenized by the adapter (tokens.py), images through the checkpoint's
own processor (images.py).
"""

from __future__ import annotations

from . import loading  # noqa: F401 -- imported for the `hf:` prefix and the folder format it registers
