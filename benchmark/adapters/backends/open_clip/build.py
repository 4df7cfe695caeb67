"""Build a ClipAdapter from a CLIP state dict of any supported layout (the one loading path every format shares).

Long-CLIP's text input is `token_emb + PE * mask1 + PE_res * mask2`, mask1 = positions 0-19, mask2 the rest
(docs/protocols.md, "Models": Long-CLIP checkpoints). The effective table is therefore `concat(PE[:20], PE_res[20:])`;
a loader that keeps only `positional_embedding` silently evaluates the un-fine-tuned table past position 20, so the
two tables are combined here, before the model is built.
"""

from __future__ import annotations

import torch
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
from open_clip.transform import image_transform

from ....errors import CheckpointError
from ....provenance import ModelInfo
from ...core.checkpoint_files import CLIP_LAYOUT, Architecture, infer_architecture
from ...core.registry import STATE_DICTS
from ...core.stretch import pos_embed_kind
from .adapter import ClipAdapter
from .text_tower import text_tower
from .tokenizers import Tokenizer

#: Scalars OpenAI's TorchScript archives carry, and the causal mask (rebuilt by the model): not weights.
NON_WEIGHTS = ("input_resolution", "context_length", "vocab_size", "attn_mask")
#: Positions taken from `positional_embedding` (mask1); the rest come from `positional_embedding_res`.
KEEP = 20


def build_model(arch: Architecture) -> CLIP:
    # Every OpenAI-style checkpoint, Long-CLIP's included, was trained with QuickGELU (docs/protocols.md, "Models").
    vision = CLIPVisionCfg(layers=arch.vision_layers, width=arch.vision_width, patch_size=arch.patch_size,
                           image_size=arch.image_size, mlp_ratio=arch.vision_mlp_ratio)
    text = CLIPTextCfg(context_length=arch.context_length, vocab_size=arch.vocab_size, width=arch.text_width,
                       heads=arch.text_heads, layers=arch.text_layers, mlp_ratio=arch.text_mlp_ratio)
    return CLIP(arch.embed_dim, vision, text, quick_gelu=True)


def activation_named(arch: str, quick_gelu: bool) -> str:
    """The architecture's name with its activation, as open_clip names its QuickGELU variants (`ViT-B-32-quickgelu`).

    The same weights built with GELU and with QuickGELU embed differently (by about 1e-3), and a result, a manifest
    and the embedding cache's keys tell builds apart by the provenance's architecture: it must name the activation.
    """
    return f"{arch}-quickgelu" if quick_gelu and not arch.endswith("-quickgelu") else arch


def clip_preprocess(image_size: int):
    """OpenAI CLIP's eval transform: bicubic resize of the short side, centre crop, RGB, normalise."""
    return image_transform(image_size, is_train=False, mean=OPENAI_DATASET_MEAN, std=OPENAI_DATASET_STD,
                           resize_mode="shortest", interpolation="bicubic")


def combine_positional_tables(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace PE/PE_res by the single effective table; a state dict without PE_res is returned unchanged."""
    if "positional_embedding_res" not in state:
        return state
    out = dict(state)
    pe, res = out["positional_embedding"], out.pop("positional_embedding_res")
    if pe.shape != res.shape:
        raise CheckpointError(f"positional_embedding {tuple(pe.shape)} and positional_embedding_res "
                         f"{tuple(res.shape)} differ in shape")
    out["positional_embedding"] = torch.cat([pe[:KEEP], res[KEEP:]])
    return out


def prepare_state(state: dict[str, torch.Tensor], source: str) -> tuple[dict[str, torch.Tensor], bool]:
    """Long-CLIP's two tables combined into one, non-weight entries dropped; also says whether PE_res was there."""
    has_res = "positional_embedding_res" in state
    try:
        state = combine_positional_tables(state)
    except CheckpointError as exc:
        raise CheckpointError(f"{source}: {exc}") from None
    return {k: v for k, v in state.items() if k not in NON_WEIGHTS}, has_res


def load_weights(model: CLIP, state: dict[str, torch.Tensor], source: str, arch_name: str) -> None:
    """Strict load; a mismatch becomes one line naming the first offending tensor."""
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{source}: tensors do not fit the architecture {arch_name}: {_mismatch(exc)}") from None


def wrap(model: torch.nn.Module, preprocess, *, has_res: bool, name: str, architecture: str, source: str,
         checkpoint: str | None, sha256: str | None, tokenizer: Tokenizer | None = None, **info) -> ClipAdapter:
    """The open_clip model as a ClipAdapter; `info` holds further ModelInfo fields (licence, revision)."""
    tower = text_tower(model, name, getattr(tokenizer, "context_length", None))
    table = tower.position_table
    kind = None if table is None else pos_embed_kind(table, has_res)
    provenance = ModelInfo(name=name, architecture=architecture, context_length=tower.context_length,
                           pos_embed_kind=kind, checkpoint=checkpoint,
                           checkpoint_sha256=sha256, source=source, backend="open_clip", **info)
    return ClipAdapter(model, preprocess, provenance, tokenizer)


@STATE_DICTS.register(CLIP_LAYOUT)
def adapter_from_state_dict(state: dict[str, torch.Tensor], *, name: str, source: str, checkpoint: str | None = None,
                            sha256: str | None = None) -> ClipAdapter:
    """Detect the layout, combine Long-CLIP's tables, infer the architecture from shapes, load strictly, wrap."""
    where = checkpoint or name
    state, has_res = prepare_state(state, where)
    arch = infer_architecture(state, where)
    model = build_model(arch)
    load_weights(model, state, where, f"{arch.name}, read from its shapes")
    return wrap(model, clip_preprocess(arch.image_size), has_res=has_res, name=name,
                architecture=activation_named(arch.name, quick_gelu=True),
                source=source, checkpoint=checkpoint, sha256=sha256)


def _mismatch(exc: RuntimeError) -> str:
    """The first concrete problem in torch's multi-line load_state_dict message."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    detail = [ln for ln in lines if ln.startswith(("size mismatch", "Missing key", "Unexpected key"))]
    return (detail or lines or ["load failed"])[0][:300]
