"""The shared half of adapters built of two plain modules, a text tower and an image tower, each giving one vector per
input (TULIP, LoTLIP): device moves, tokenizing at a context cut, and L2-normalised float32 embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .protocol import TokenBatch, cut_length


class TwoTowers:
    """Subclasses set `text` and `image` (modules in eval mode), `tokenizer(texts, context_length) -> TokenBatch`,
    `provenance` and `context_length`."""

    text: nn.Module
    image: nn.Module

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def device(self) -> torch.device:
        return next(self.text.parameters()).device

    def to(self, device: str | torch.device) -> TwoTowers:
        self.text.to(device)
        self.image.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        return self.tokenizer(texts, cut_length(context_length, self.context_length))

    @torch.no_grad()
    def encode_text(self, batch: TokenBatch) -> torch.Tensor:
        return F.normalize(self.text(batch.ids.to(self.device)).float(), dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image(pixels.to(self.device)).float(), dim=-1)
