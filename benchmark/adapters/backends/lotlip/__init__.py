"""The LoTLIP backend: `lotlip:ARCH[#bert=SOURCE]` loads a LoTLIP checkpoint (loading.py): BERT with corner tokens
and a timm ViT (model.py), tokenized as the authors' fork does (tokenizer.py).
"""

from __future__ import annotations

from . import loading  # noqa: F401 -- imported for the prefix it registers
