"""OpenAI CLIP through open_clip: the `clip-*` registry entries and the generic `open_clip:ARCH[@TAG]` names."""

from __future__ import annotations

from pathlib import Path

import open_clip

from ..errors import CheckpointError, UnknownNameError
from .base import ClipAdapter
from .build import load_weights, prepare_state, wrap
from .formats import read_checkpoint, sha256_file
from .registry import ModelSpec, register_model, register_prefix

for _suffix, _arch, _timm in (("B", "ViT-B-16", "vit_base_patch16_clip_224"),
                              ("L", "ViT-L-14", "vit_large_patch14_clip_224"),
                              ("B-32", "ViT-B-32", "vit_base_patch32_clip_224")):
    register_model(ModelSpec(
        name=f"clip-{_suffix}",
        description=f"OpenAI CLIP {_arch} (77-token text)",
        architecture=_arch,
        context_length=77,
        # open_clip's own source for the OpenAI weights (its `openai` tag resolves to these Hub files).
        hf_repo=f"timm/{_timm}.openai",
        hf_filename="open_clip_model.safetensors",
        local_filename=f"clip-{_suffix}.safetensors",
    ))


@register_prefix("open_clip")
def open_clip_model(spec: str, checkpoint: Path | None) -> ClipAdapter:
    """`open_clip:ViT-B-16@openai` (open_clip downloads and caches) or `open_clip:ViT-B-16` + --checkpoint FILE."""
    arch, _, tag = spec.partition("@")
    if arch not in open_clip.list_models():
        raise UnknownNameError(f"open_clip has no architecture {arch!r} (see open_clip.list_models())")
    name = f"open_clip:{spec}"
    if checkpoint is not None:
        return _with_checkpoint(arch, name, checkpoint)
    if not tag:
        raise UnknownNameError(f"{name}: give a pretrained tag (open_clip:{arch}@TAG) or --checkpoint FILE")
    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if not cfg:
        tags = ", ".join(t for a, t in open_clip.list_pretrained() if a == arch)
        raise UnknownNameError(f"open_clip has no pretrained tag {tag!r} for {arch} (known: {tags})")
    try:
        path = Path(open_clip.pretrained.download_pretrained(cfg))
        model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=str(path), **tag_settings(cfg))
    except (OSError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{name}: open_clip could not load the weights ({exc})") from None
    return wrap(model, preprocess, has_res=False, name=name, architecture=arch, source=f"open_clip {arch}@{tag}",
                checkpoint=str(path), sha256=sha256_file(path))


def tag_settings(cfg: dict) -> dict:
    """The build arguments a pretrained tag's config implies: its activation and its image preprocessing.

    Passing the downloaded file instead of the tag skips open_clip's tag config entirely, and even with the tag
    open_clip only warns when the tag says QuickGELU and the architecture name does not (`ViT-B-32@openai`).
    """
    keys = {"mean": "image_mean", "std": "image_std", "interpolation": "image_interpolation",
            "resize_mode": "image_resize_mode"}
    return {"force_quick_gelu": bool(cfg.get("quick_gelu")),
            **{arg: cfg[key] for key, arg in keys.items() if cfg.get(key) is not None}}


def _with_checkpoint(arch: str, name: str, checkpoint: Path) -> ClipAdapter:
    """The architecture's own open_clip config (its activation included: open_clip-trained ViTs use GELU, not
    OpenAI's QuickGELU) with the weights of a local file, read safely."""
    ckpt = read_checkpoint(checkpoint)
    state, has_res = prepare_state(ckpt.state_dict, str(ckpt.path))
    context = state["positional_embedding"].shape[0] if "positional_embedding" in state else None
    model, _, preprocess = open_clip.create_model_and_transforms(arch, force_context_length=context)
    load_weights(model, state, str(ckpt.path), arch)
    return wrap(model, preprocess, has_res=has_res, name=name, architecture=arch,
                source=f"{ckpt.container} loaded into open_clip {arch}", checkpoint=str(ckpt.path),
                sha256=ckpt.sha256)
