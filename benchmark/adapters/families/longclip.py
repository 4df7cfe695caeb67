"""Long-CLIP (ViT-B/16, ViT-L/14, ViT-B/32; 248-token text): the authors' checkpoints. How they load (the two
positional tables combined) is in backends/open_clip/build.py."""

from __future__ import annotations

from ..core.registry import ModelSpec, register_model

for _suffix, _arch in (("B", "ViT-B-16"), ("L", "ViT-L-14"), ("B-32", "ViT-B-32")):
    register_model(ModelSpec(
        name=f"longclip-{_suffix}",
        description=f"Long-CLIP {_arch} (248-token text, knowledge-preserved stretching + fine-tuning)",
        architecture=_arch,
        context_length=248,
        licence="Apache-2.0",
        resolution=224,
        hf_repo=f"BeichenZhang/LongCLIP-{_suffix}",
        hf_filename=f"longclip-{_suffix}.pt",
        local_filename=f"longclip-{_suffix}.pt",
    ))
