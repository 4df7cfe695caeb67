"""Perception Encoder PE-Core (Meta, 2025) through open_clip's `PE-Core-*@meta` tags: a timm EVA-style image tower
with an attention pool, and a causal CLIP-BPE text tower of 32 tokens (72 for bigG) pooled at EOT (trimming exact).
Images squashed to the tower's size, bilinear, mean and std 0.5. Apache-2.0."""

from __future__ import annotations

from ..backends.open_clip.loading import tagged_spec
from ..core.registry import register_model

for _name, _arch in (("pe-core-T-16-384", "PE-Core-T-16-384"), ("pe-core-S-16-384", "PE-Core-S-16-384"),
                     ("pe-core-B-16", "PE-Core-B-16"), ("pe-core-L-14-336", "PE-Core-L-14-336"),
                     ("pe-core-bigG-14-448", "PE-Core-bigG-14-448")):
    register_model(tagged_spec(_name, _arch, "meta", f"Perception Encoder {_arch}", "Apache-2.0"))
