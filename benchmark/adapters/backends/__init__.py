"""The backends that turn a model name into an `ImageTextModel`; each registers its name prefixes and folder formats
when imported: open_clip/ (`open_clip:`, `hf-hub:`, `local-dir:`, `stretched:`, checkpoint files), transformers/
(`hf:`), remote/ (`hf:` checkpoints that run their own code, opt-in), prolip/ (`prolip:`), tulip/ (`tulip:`, TULIP
checkpoints) and lotlip/ (`lotlip:`, LoTLIP checkpoints).
"""

from __future__ import annotations

from . import lotlip, open_clip, prolip, remote, transformers, tulip  # noqa: F401 -- imported for what they register
