"""A TULIP model behind the model protocol: the base CLIP's image tower and a TULIP text tower (towers.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from ....provenance import ModelInfo
from ...core.protocol import TextSpec, TokenBatch, Tower, cut_length
from ..open_clip.tokenizers import Tokenizer
from .towers import TulipText


class TulipAdapter:
    """tokenize -> the TULIP text tower, preprocess -> the base's image tower; embeddings L2-normalised float32."""

    def __init__(self, text: TulipText, visual: nn.Module, preprocess: Callable[[Image.Image], torch.Tensor],
                 tokenizer: Tokenizer, provenance: ModelInfo):
        self.text, self.visual = text.eval(), visual.eval()
        self.tokenizer = tokenizer
        self.preprocess = preprocess
        # Causal attention pooled at the EOT token (towers.py): trimming a batch is exact.
        self.text_spec = TextSpec(causal=True, pad_masked=False, pool="eot_argmax", pad_id=tokenizer.pad_id)
        self.provenance = replace(provenance, tokenizer=tokenizer.name, text_spec=self.text_spec.to_dict())

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def context_length(self) -> int:
        return self.text.context_length

    @property
    def embed_dim(self) -> int:
        return self.text.width

    @property
    def device(self) -> torch.device:
        return next(self.text.parameters()).device

    def to(self, device: str | torch.device) -> TulipAdapter:
        self.text.to(device)
        self.visual.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        return self.tokenizer(texts, cut_length(context_length, self.context_length))

    @torch.no_grad()
    def encode_text(self, batch: TokenBatch) -> torch.Tensor:
        return F.normalize(self.text(batch.ids.to(self.device)).float(), dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.visual(pixels.to(self.device)).float(), dim=-1)

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        if tower == "image":
            return {f"visual.{k}": v for k, v in self.visual.state_dict().items()}
        return dict(self.text.state_dict())
