"""open_clip text towers at any width: the `TextSpec` each implies, and a forward that accepts a trimmed batch.

open_clip's own `encode_text` adds the full causal mask to every batch, so it fails on a batch narrower than the
context. The forward here is open_clip's (`CLIP.encode_text` / `TextTransformer.forward`) with the positional table
and the causal mask sliced to the batch's width; at full width it is the same computation.

Towers: `CLIP` (the text tower's parts live on the model), `CustomTextCLIP` and `CoCa` (a `TextTransformer` in
`model.text`). CoCa appends a CLS token after the last position and pools it; its position row and what it may see
depend on the padded width, so its spec is "last position", padded to the context. `HFTextEncoder` (a Hugging Face
text model, e.g. XLM-RoBERTa, NLLB) masks padding itself (`ids != pad_token_id`) and pools the mean or the CLS
token: open_clip's own forward runs at any width.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from open_clip.hf_model import HFTextEncoder
from open_clip.model import CLIP
from open_clip.transformer import TextTransformer, text_global_pool
from torch import nn

from ....errors import CheckpointError
from ...core.protocol import TextSpec

#: open_clip's `pool_type` -> the protocol's pool rule.
POOLS = {"argmax": "eot_argmax", "eos": "eos_id", "last": "last", "first": "cls"}
#: HFTextEncoder poolers -> the protocol's pool rule (all over unmasked tokens).
HF_POOLS = {"MeanPooler": "mean", "ClsPooler": "cls", "ClsLastHiddenStatePooler": "cls"}


@dataclass
class TextTower:
    """The modules and settings of one open_clip text tower."""

    module: nn.Module  # holds token_embedding, positional_embedding, transformer, ln_final, text_projection
    pool_type: str
    eos_id: int | None
    pad_mask: bool  # TextTransformer.use_pad_mask: keys equal to the pad id are hidden (bidirectional only)
    cls: bool  # CoCa: a learned CLS token appended after the text and pooled
    #: HFTextEncoder: the context is the tokenizer's (the HF model's position table is longer).
    hf_context: int | None = None

    @property
    def context_length(self) -> int:
        if self.hf_context is not None:
            return self.hf_context
        return int(self.module.positional_embedding.shape[0]) - int(self.cls)

    @property
    def causal(self) -> bool:
        return self.hf_context is None and self.module.attn_mask is not None

    @property
    def position_table(self) -> torch.Tensor | None:
        """The learned positional table (without CoCa's CLS row), None for Hugging Face text models."""
        if self.hf_context is not None:
            return None
        return self.module.positional_embedding.detach()[: self.context_length]

    @property
    def embed_dim(self) -> int:
        if self.hf_context is not None:
            return int(self.module.output_dim)
        proj = self.module.text_projection
        if proj is None:
            return int(self.module.positional_embedding.shape[1])
        return proj.out_features if isinstance(proj, nn.Linear) else int(proj.shape[1])

    def spec(self, pad_id: int) -> TextSpec:
        if self.hf_context is not None:
            return TextSpec(causal=False, pad_masked=True, pool=HF_POOLS[self.pool_type], pad_id=pad_id)
        if self.cls:
            return TextSpec(causal=self.causal, pad_masked=False, pool="last", pad_id=pad_id,
                            fixed_length=self.context_length)
        pool = POOLS[self.pool_type]
        exact = TextSpec(causal=self.causal, pad_masked=self.pad_mask, pool=pool, pad_id=pad_id,
                         eos_id=self.eos_id if pool == "eos_id" else None)
        return exact if exact.trim_exact else replace(exact, fixed_length=self.context_length)


def text_tower(model: nn.Module, name: str, context_length: int | None = None) -> TextTower:
    """The text tower of an open_clip model, refused with one line if it is one this backend cannot run.

    `context_length` (the tokenizer's) is needed for Hugging Face text models only.
    """
    text = getattr(model, "text", None)
    if isinstance(text, HFTextEncoder):
        return _hf_tower(text, name, context_length)
    if isinstance(model, CLIP):
        tower = TextTower(model, model.text_pool_type, getattr(model, "text_eos_id", None), False, False)
    elif isinstance(text, TextTransformer):
        tower = TextTower(text, text.pool_type, text.eos_id, bool(text.use_pad_mask), text.cls_emb is not None)
    else:
        found = type(getattr(model, "text", model)).__name__
        raise CheckpointError(f"{name}: text tower {found} is not supported by the open_clip backend "
                              "(supported: open_clip TextTransformer towers of CLIP, CustomTextCLIP and CoCa, and "
                              "HFTextEncoder)")
    if not tower.cls and tower.pool_type not in POOLS:
        raise CheckpointError(f"{name}: text pool type {tower.pool_type!r} gives no single text embedding")
    return tower


def _hf_tower(text: HFTextEncoder, name: str, context_length: int | None) -> TextTower:
    pooler = type(text.pooler).__name__
    if pooler not in HF_POOLS:
        raise CheckpointError(f"{name}: Hugging Face text pooler {pooler} is not supported "
                              f"(supported: {', '.join(HF_POOLS)})")
    if context_length is None:
        raise CheckpointError(f"{name}: a Hugging Face text tower needs its tokenizer's context length")
    return TextTower(text, pooler, None, True, False, hf_context=context_length)


def encode(tower: TextTower, ids: torch.Tensor) -> torch.Tensor:
    """Pooled, projected (not normalised) text features of ids [N, L], L <= the context length."""
    width = ids.shape[1]
    if width > tower.context_length:
        raise ValueError(f"token ids are {width} wide, the model's context is {tower.context_length}")
    m = tower.module
    if tower.hf_context is not None:
        return m(ids)  # open_clip's HFTextEncoder: padding mask from the ids, masked pooling, projection
    if isinstance(m, TextTransformer):
        x, mask = m._embeds(ids)  # token + position embeddings, CLS and pad masks; the causal mask unsliced
        if mask is not None and mask.dim() == 2:
            mask = mask[: x.shape[1], : x.shape[1]]
    else:
        cast = m.transformer.get_cast_dtype()
        x = m.token_embedding(ids).to(cast) + m.positional_embedding[:width].to(cast)
        mask = m.attn_mask[:width, :width] if m.attn_mask is not None else None
    x = m.transformer(x, attn_mask=mask)
    if tower.cls:
        pooled = m.ln_final(x[:, -1])  # CoCa: final norm after pooling the appended CLS
    else:
        pooled = text_global_pool(m.ln_final(x), ids, tower.pool_type, eos_token_id=tower.eos_id)
    proj = m.text_projection
    if proj is None:
        return pooled
    return proj(pooled) if isinstance(proj, nn.Linear) else pooled @ proj
