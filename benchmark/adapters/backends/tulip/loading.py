"""`tulip:ARCH[@TAG][#VARIANT] --checkpoint FILE`: a TULIP checkpoint, loaded the way the authors' evaluation loads it.

What `eval_tulip.py` does (ivonajdenkoska/tulip at 132c174): it builds the base CLIP with
`create_model_and_transforms(--model_name, pretrained=--pretrained)`, whose image tower and preprocessing it uses, and
a text tower (towers.py) with the base's text width, heads and layers; it reads the training checkpoint's
`state_dict` with the `module.` prefix stripped, loads every parameter of the text tower from it (one missing is an
error) and, unless `--lit_style`, the `visual.*` tensors into the base's image tower (one missing is an error).
Tokens come from `get_tokenizer(--model_name, context_length=248)`; both embeddings are L2-normalised.

Here ARCH is the base's open_clip architecture and TAG its pretrained tag (`openai` for the released models): the tag
sets the image tower's activation (QuickGELU for OpenAI's weights) and preprocessing as open_clip builds them for
that tag; without one the architecture's own config decides, as for `open_clip:ARCH --checkpoint`. VARIANT is the
text tower, `rope` (default), `cope` or `learnable` (--pos_encodings), optionally joined by `+lit` (--lit_style): the
image tower then keeps TAG's own weights, which a distillation-stage checkpoint (the text tower alone) needs.

Stricter than the authors' loader, which passes over tensors it does not use: a tensor that belongs to neither
tower, nor is a loss scalar or the base's unused 77-row position table (which fine-tuned checkpoints carry), is
refused by name.
"""

from __future__ import annotations

from pathlib import Path

import open_clip
import torch
from open_clip.model import CLIPTextCfg
from torch import nn

from ....errors import CheckpointError, UnknownNameError
from ....provenance import ModelInfo
from ...core.checkpoint_files import check_keys, load_tensors, read_checkpoint
from ...core.registry import register_prefix
from ...core.stretch import pos_embed_kind
from ..open_clip.adapter import LOSS_SCALARS
from ..open_clip.loading import open_clip_model, tag_settings
from ..open_clip.tokenizers import open_clip_tokenizer
from .adapter import TulipAdapter
from .towers import POSITIONS, TulipText

#: eval_tulip.py's --context_length default, which every released model uses.
CONTEXT = 248
LIT = "lit"
#: The base CLIP's own 77-row table: the fine-tuning stage swaps the text tower into the CLIP model, which keeps it.
BASE_TABLE = "positional_embedding"


def parse(spec: str) -> tuple[str, str, str, bool]:
    """`ARCH[@TAG][#VARIANT]` -> (arch, tag, text tower, lit)."""
    target, _, variant = spec.partition("#")
    arch, _, tag = target.partition("@")
    parts = [p for p in variant.split("+") if p] if variant else []
    towers = [p for p in parts if p in POSITIONS]
    unknown = [p for p in parts if p not in (*POSITIONS, LIT)]
    if unknown or len(towers) > 1:
        raise UnknownNameError(f"tulip:{spec}: the variant is one of {', '.join(POSITIONS)}, optionally with +{LIT} "
                               f"(e.g. #cope+{LIT}), not #{variant}")
    return arch, tag, towers[0] if towers else "rope", LIT in parts


@register_prefix("tulip")
def tulip_model(spec: str, checkpoint: Path | None, trust_remote_code: bool = False) -> TulipAdapter:
    """TULIP runs no code from its checkpoint: `trust_remote_code` changes nothing."""
    name = f"tulip:{spec}"
    arch, tag, positions, lit = parse(spec)
    if checkpoint is None:
        raise UnknownNameError(f"{name}: give the TULIP checkpoint with --checkpoint FILE (or use a registry entry: "
                               "tulip-L, tulip-B)")
    cfg = open_clip.get_model_config(arch)
    if cfg is None:
        raise UnknownNameError(f"{name}: open_clip has no architecture {arch!r} (see open_clip.list_models())")
    text_cfg = CLIPTextCfg(**cfg["text_cfg"])
    if text_cfg.hf_model_name:
        raise CheckpointError(f"{name}: TULIP replaces an open_clip text transformer; {arch}'s text tower is the "
                              f"Hugging Face model {text_cfg.hf_model_name}")
    if lit and not tag:
        raise UnknownNameError(f"{name}: #{LIT} keeps the base's own image tower: name its weights, "
                               f"tulip:{arch}@TAG#{positions}+{LIT}")
    if cfg["embed_dim"] != text_cfg.width:
        raise CheckpointError(f"{name}: TULIP's text tower projects to its width {text_cfg.width}, but {arch}'s "
                              f"image embeddings have {cfg['embed_dim']} dimensions")
    ckpt = read_checkpoint(checkpoint)
    where = str(ckpt.path)
    text = TulipText(positions, CONTEXT, text_cfg.vocab_size, text_cfg.width, text_cfg.heads, text_cfg.layers)
    visual, preprocess, image_source = _image_tower(arch, tag, lit)
    _load(text, None if lit else visual, ckpt.state_dict, where, f"a TULIP {positions} checkpoint for {arch}")
    table = text.positional_embedding.detach() if positions == "learnable" else None
    info = ModelInfo(
        name=name, architecture=f"{arch} image tower + TULIP {positions} text tower ({CONTEXT} tokens)",
        context_length=CONTEXT, pos_embed_kind=None if table is None else pos_embed_kind(table, False),
        checkpoint=where, checkpoint_sha256=ckpt.sha256, backend="tulip",
        source=f"{ckpt.container}: TULIP {positions} text tower; image tower: {image_source}")
    return TulipAdapter(text, visual, preprocess, open_clip_tokenizer(arch), info)


def _image_tower(arch: str, tag: str, lit: bool) -> tuple[nn.Module, object, str]:
    """The base's image tower and preprocessing: with TAG's weights (lit), or built to receive the checkpoint's."""
    if lit:
        base = open_clip_model(f"{arch}@{tag}", None)
        return base.model.visual, base.preprocess, f"{arch}@{tag}'s own ({base.provenance.checkpoint})"
    settings = tag_settings(open_clip.get_pretrained_cfg(arch, tag)) if tag else {}
    model, _, preprocess = open_clip.create_model_and_transforms(arch, **settings)
    return model.visual, preprocess, f"the checkpoint's visual.* in open_clip {arch}" + (f" as @{tag}" if tag else "")


def _load(text: TulipText, visual: nn.Module | None, state: dict[str, torch.Tensor], where: str, layout: str) -> None:
    """Every tensor of the text tower, and of the image tower unless it keeps the base's (visual None), strictly."""
    image = {f"visual.{k}": v for k, v in visual.state_dict().items()} if visual is not None else {}
    if visual is not None and not any(k.startswith("visual.") for k in state):
        raise CheckpointError(f"{where}: holds no image tower (visual.*), as a distillation-stage checkpoint: load it "
                              f"with #{text.positions}+{LIT} to keep the base's own image tower (--lit_style)")
    ignored = set(LOSS_SCALARS) | ({BASE_TABLE} if text.positions != "learnable" else set())
    if visual is None:
        ignored |= {k for k in state if k.startswith("visual.")}
    check_keys(state, {*text.state_dict(), *image}, where, layout, ignored)
    load_tensors(text, {k: state[k] for k in text.state_dict()}, where)
    if visual is not None:
        load_tensors(visual, {k[len("visual."):]: state[k] for k in image}, where)
