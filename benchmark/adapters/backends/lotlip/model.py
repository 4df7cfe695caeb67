"""LoTLIP's towers behind the model protocol: a BERT text tower with corner tokens and a timm ViT.

What the authors' open_clip fork computes (wuw2019/LoTLIP at 301b906, `hf_model.py` and `model.py`):
- text: BERT (`transformers.BertModel`, with its pooler) over `[CLS] [Corner0] [Corner1] ... [SEP]`, under a per-
  caption attention mask (`HFTextEncoder.build_attn_mask`): every position sees the real (non-pad) tokens after
  the corner tokens; the text tokens also see [CLS]; [CLS] and each corner token see themselves, and nothing sees
  a corner token. The pooler (dense + tanh) is applied to [CLS] and the corner tokens and the linear projection
  follows; `CustomTextCLIP.encode_text` keeps [CLS]'s row. Only [CLS]'s row is computed here: the corner rows are
  never read.
- image: the timm ViT's class token after its final norm (`timm_pool` token, `timm_proj` none).
Padding is hidden from every position and [CLS] sits first, so a batch cut after its longest caption gives the same
vectors (`TextSpec.trim_exact`; tested against the authors' code in tests/fixtures/lotlip/).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import torch
from PIL import Image
from torch import nn

from ....provenance import ModelInfo
from ...core.protocol import TextSpec, Tower
from ...core.two_towers import TwoTowers
from .tokenizer import LotlipTokenizer


def corner_mask(ids: torch.Tensor, pad_id: int, corners: int) -> torch.Tensor:
    """bool [N, L, L]: query row i may attend key column j (HFTextEncoder.build_attn_mask)."""
    allowed = ids.ne(pad_id)[:, None, :].repeat(1, ids.shape[1], 1)
    allowed[:, :, : corners + 1] = False
    allowed[:, corners + 1:, 0] = True
    for token in range(corners + 1):
        allowed[:, token, token] = True
    return allowed


class LotlipText(nn.Module):
    """`transformer` (BertModel with pooler) and `proj`, the key layout of the checkpoints' `text.*`."""

    def __init__(self, bert: nn.Module, embed_dim: int, corners: int):
        super().__init__()
        self.transformer = bert
        self.proj = nn.Linear(bert.config.hidden_size, embed_dim, bias=False)
        self.corners = corners

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        allowed = corner_mask(ids, self.transformer.config.pad_token_id, self.corners)
        # An additive mask, as transformers 4.39 builds from the authors' 0/1 one (1 - mask) * dtype.min: a boolean
        # 4D mask means different things to different attention implementations.
        additive = (~allowed[:, None]).float() * torch.finfo(torch.float32).min
        hidden = self.transformer(input_ids=ids, attention_mask=additive).last_hidden_state[:, 0]
        pooler = self.transformer.pooler
        return self.proj(pooler.activation(pooler.dense(hidden)))


class LotlipAdapter(TwoTowers):
    """tokenize -> BERT with corner tokens, preprocess -> the timm ViT; embeddings L2-normalised float32."""

    def __init__(self, text: LotlipText, trunk: nn.Module, preprocess: Callable[[Image.Image], torch.Tensor],
                 tokenizer: LotlipTokenizer, context_length: int, provenance: ModelInfo):
        self.text, self.image = text.eval(), trunk.eval()  # the timm ViT trunk
        self.tokenizer, self.preprocess, self._context = tokenizer, preprocess, context_length
        self.text_spec = TextSpec(causal=False, pad_masked=True, pool="cls", pad_id=tokenizer.pad_id)
        self.provenance = replace(provenance, tokenizer=tokenizer.name, text_spec=self.text_spec.to_dict())

    @property
    def context_length(self) -> int:
        return self._context

    @property
    def embed_dim(self) -> int:
        return self.text.proj.out_features

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        if tower == "image":
            return {f"visual.trunk.{k}": v for k, v in self.image.state_dict().items()}
        return {f"text.{k}": v for k, v in self.text.state_dict().items()}
