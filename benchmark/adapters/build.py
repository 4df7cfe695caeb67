"""Build a ClipAdapter from a CLIP state dict of any supported layout (the one loading path every format shares)."""

from __future__ import annotations

import torch
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
from open_clip.transform import image_transform

from ..errors import CheckpointError
from .base import ClipAdapter, Provenance
from .formats import Architecture, infer_architecture
from .longclip import combine_positional_tables
from .stretch import pos_embed_kind


def build_model(arch: Architecture) -> CLIP:
    # Every OpenAI-style checkpoint, Long-CLIP's included, was trained with QuickGELU (PROTOCOLS.md 1).
    vision = CLIPVisionCfg(layers=arch.vision_layers, width=arch.vision_width, patch_size=arch.patch_size,
                           image_size=arch.image_size, mlp_ratio=arch.vision_mlp_ratio)
    text = CLIPTextCfg(context_length=arch.context_length, vocab_size=arch.vocab_size, width=arch.text_width,
                       heads=arch.text_heads, layers=arch.text_layers, mlp_ratio=arch.text_mlp_ratio)
    return CLIP(arch.embed_dim, vision, text, quick_gelu=True)


def clip_preprocess(image_size: int):
    """OpenAI CLIP's eval transform: bicubic resize of the short side, centre crop, RGB, normalise."""
    return image_transform(image_size, is_train=False, mean=OPENAI_DATASET_MEAN, std=OPENAI_DATASET_STD,
                           resize_mode="shortest", interpolation="bicubic")


def adapter_from_state_dict(state: dict[str, torch.Tensor], *, name: str, source: str, checkpoint: str | None = None,
                            sha256: str | None = None) -> ClipAdapter:
    """Detect the layout, combine Long-CLIP's tables, infer the architecture, load strictly, wrap."""
    has_res = "positional_embedding_res" in state
    try:
        state = combine_positional_tables(state)
    except CheckpointError as exc:
        raise CheckpointError(f"{checkpoint or name}: {exc}") from None
    arch = infer_architecture(state, checkpoint or name)
    model = build_model(arch)
    state = {k: v for k, v in state.items() if k not in ("input_resolution", "context_length", "vocab_size")}
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{checkpoint or name}: tensors do not fit the architecture read from its shapes "
                              f"({arch.name}): {_mismatch(exc)}") from None
    kind = pos_embed_kind(model.positional_embedding.detach(), has_res)
    provenance = Provenance(name=name, architecture=arch.name, context_length=arch.context_length,
                            pos_embed_kind=kind, checkpoint=checkpoint, checkpoint_sha256=sha256, source=source)
    return ClipAdapter(model, clip_preprocess(arch.image_size), provenance)


def _mismatch(exc: RuntimeError) -> str:
    """The first concrete problem in torch's multi-line load_state_dict message."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    detail = [ln for ln in lines if ln.startswith(("size mismatch", "Missing key", "Unexpected key"))]
    return (detail or lines or ["load failed"])[0][:300]
