"""Long-text models whose weights cannot be read without their authors' training code: listed, with the reason.

`longbench models` shows them so that their absence is explained; loading one fails with that reason.
"""

from __future__ import annotations

from ..core.registry import ModelSpec, register_model

register_model(ModelSpec(
    name="lotlip-B-16", description="LoTLIP (NeurIPS 2024) ViT-B/16, BERT text tower with corner tokens",
    architecture="ViT-B-16 + BERT-base", context_length=128, licence="MIT", resolution=224, backend="-",
    unavailable=("its BERT text tower inserts 2 corner tokens with a custom attention mask from the authors' "
                 "open_clip fork: not implemented here (github.com/wuw2019/LoTLIP)")))
