"""OpenAI CLIP (ViT-B/16, ViT-L/14, ViT-B/32; 77-token text), from open_clip's own copy of the OpenAI weights."""

from __future__ import annotations

from ..core.registry import ModelSpec, register_model

for _suffix, _arch, _timm in (("B", "ViT-B-16", "vit_base_patch16_clip_224"),
                              ("L", "ViT-L-14", "vit_large_patch14_clip_224"),
                              ("B-32", "ViT-B-32", "vit_base_patch32_clip_224")):
    register_model(ModelSpec(
        name=f"clip-{_suffix}",
        description=f"OpenAI CLIP {_arch} (77-token text)",
        architecture=_arch,
        context_length=77,
        licence="MIT",
        resolution=224,
        # open_clip's own source for the OpenAI weights (its `openai` tag resolves to these Hub files).
        hf_repo=f"timm/{_timm}.openai",
        hf_filename="open_clip_model.safetensors",
        local_filename=f"clip-{_suffix}.safetensors",
    ))
