"""FG-CLIP 2 (qihoo360/fg-clip2-base, -large, -so400m; remote code, opt-in): the authors' calls on the model protocol.

Read in 360CVGroup/FG-CLIP (`fgclip2/model/strcs/fgclip2.py`, the retrieval evaluations under `fgclip2/eval/`):
`FG_CLIP2_Model`, a SigLIP 2 model with two text regimes.
- `short` (default): the text tower's own length (64), `get_text_features(..., walk_type="short")`, its `head`;
- `long` (`hf:...@COMMIT#long`, what the long-caption numbers use): the 196-row tables (`position_embedding_ori` /
  `_res`: the 64-row table stretched with 20 positions kept), `walk_type="long"`, the `longtext_head`.
Captions are lowercased (the authors' English evaluations do so), padded to the regime's length on the tokenizer's
own side and passed with its attention mask, as `tokenizer(..., padding="max_length", truncation=True)` gives them;
the tower is bidirectional and reads the last position, so nothing is trimmed. Images go through the checkpoint's own
NaFlex processor at its configured patch budget, as in the authors' evaluations (the README's per-image budget rule
is for its demo only).

transformers 5 builds models on the meta device; the two masks that blend the long tables are plain tensors, not
buffers, so loading leaves them there. They are rebuilt from their rule; any other tensor left unloaded is refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from ....errors import CheckpointError, UnknownNameError
from ...core.hf_source import Source
from ...core.protocol import TextSpec
from ..transformers.images import naflex_image, naflex_preprocess
from ..transformers.loading import build
from ..transformers.model import HFModel, features
from ..transformers.model_types import weights_rows
from ..transformers.tokens import Template
from .loading import REMOTE_FAMILIES, RemoteFamily

MODES = ("short", "long")
LONG_TABLE = "text_model.embeddings.position_embedding_ori.weight"
#: Positions the long tables copy unchanged from the short one (the authors' `keep_len`).
KEEP = 20


def load(source: Source, tf: Any) -> HFModel:
    mode = source.variant or "short"
    if mode not in MODES:
        raise UnknownNameError(f"{source.name}: FG-CLIP 2 has no mode {mode!r} (expected #short or #long)")
    config = tf.AutoConfig.from_pretrained(source.folder, trust_remote_code=True)
    length = config.text_config.max_position_embeddings if mode == "short" else weights_rows(source.folder, LONG_TABLE)
    if length is None:
        raise CheckpointError(f"{source.name}: no {LONG_TABLE} in the weights: not an FG-CLIP 2 checkpoint with a "
                              "long-text regime")
    seen = {}

    def spec(config, template: Template, tokenizer) -> TextSpec:
        seen["pad"], seen["left"] = tokenizer.pad_token_id, tokenizer.padding_side == "left"
        if seen["pad"] is None or seen["pad"] in (*template.prefix, *template.suffix):
            raise CheckpointError(f"{source.name}: the tokenizer's pad id must differ from its special tokens")
        return TextSpec(causal=False, pad_masked=True, pool="last", pad_id=seen["pad"],
                        eos_id=template.suffix[-1] if template.suffix else None, fixed_length=length)

    def text_features(model, ids: torch.Tensor) -> torch.Tensor:
        if seen["left"]:
            ids = left_padded(ids, seen["pad"])
        mask = (ids != seen["pad"]).long()  # the tokenizer's attention mask: the pad id never occurs in a caption
        return features(model.get_text_features(input_ids=ids, attention_mask=mask, walk_type=mode))

    model = build(source, "AutoModelForCausalLM", config, spec, tf, context_length=length,
                  preprocess_from=naflex_preprocess, text_features=text_features, image_features=naflex_image,
                  normalise=str.lower)
    materialise_masks(source, model.model)
    if seen["left"]:
        model.provenance = replace(model.provenance, tokenizer=model.provenance.tokenizer.replace(
            "right padding", "left padding (the tokenizer's own side, as the authors call it)"))
    return model


def left_padded(ids: torch.Tensor, pad: int) -> torch.Tensor:
    """Right-padded rows (the protocol's TokenBatch) moved to the right end, as a left-padding tokenizer gives them:
    the authors pass the tokenizer's output as is, and the tower reads the last position."""
    width = ids.shape[1]
    shift = width - (ids != pad).sum(1, keepdim=True)
    return ids.gather(1, (torch.arange(width, device=ids.device)[None] - shift) % width)


def materialise_masks(source: Source, model: torch.nn.Module) -> None:
    """Rebuild the long tables' blend masks (`mask1`: the first KEEP rows, `mask2`: the rest) where loading left
    them on the meta device; refuse any other plain tensor left there."""
    for name, module in model.named_modules():
        for attr, value in list(vars(module).items()):
            if not isinstance(value, torch.Tensor) or not value.is_meta:
                continue
            if attr not in ("mask1", "mask2") or value.ndim != 2 or value.shape[1] != 1:
                raise CheckpointError(f"{source.name}: {name}.{attr} was never loaded (left on the meta device)")
            first = torch.zeros(value.shape, dtype=value.dtype)
            first[:KEEP] = 1
            delattr(module, attr)  # a buffer from now on, so that moving the model moves it too
            module.register_buffer(attr, first if attr == "mask1" else 1 - first, persistent=False)


REMOTE_FAMILIES.add("FG_CLIP2_Model", RemoteFamily("FG-CLIP 2 (short or long text regime, NaFlex images)", load))
