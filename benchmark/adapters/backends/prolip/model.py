"""A ProLIP model behind the model protocol: each row is the L2-normalised mean embedding ([CLS]) followed by the
summed variance s = sum(exp(log_var)) of the [UNC] output.

Scoring (adapters/core/scoring.py, `csd`; docs/baselines.md, "ProLIP and LongProLIP"): retrieval ranks by the
authors' uncertainty-aware logit (their `run_ret`: mean_i . mean_t - s_candidate / 2), zero-shot classification by
the cosine of the means, as their `build_zero_shot_classifier` over `encode_text(...)["mean"]` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image

from ....provenance import ModelInfo
from ...core.protocol import TextSpec, TokenBatch, Tower, cut_length
from .tokenizer import ProLIPTokenizer
from .towers import ProLIPTowers


@dataclass
class ProLIPModel:
    towers: ProLIPTowers
    tokenizer: ProLIPTokenizer
    provenance: ModelInfo
    preprocess: Callable[[Image.Image], torch.Tensor]

    def __post_init__(self) -> None:
        self.towers.eval()

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def context_length(self) -> int:
        return self.towers.text.context_length

    @property
    def embed_dim(self) -> int:
        """The mean embedding's width, plus the summed-variance column."""
        return int(self.towers.text.text_projection.out_features) + 1

    @property
    def text_spec(self) -> TextSpec:
        """Bidirectional, no padding mask, pooled at the [CLS] appended after the last position: padded to the
        context, never trimmed."""
        return TextSpec(causal=False, pad_masked=False, pool="last", pad_id=self.tokenizer.pad_id,
                        fixed_length=self.context_length)

    @property
    def device(self) -> torch.device:
        return next(self.towers.parameters()).device

    def to(self, device: str | torch.device) -> ProLIPModel:
        self.towers.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        """At the model's context, or cut at a shorter one (the length probe's); encode_text pads back."""
        return self.tokenizer(texts, cut_length(context_length, self.context_length))

    @torch.no_grad()
    def encode_text(self, batch: TokenBatch) -> torch.Tensor:
        return _rows(*self.towers.text(batch.padded(self.context_length).ids.to(self.device)))

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return _rows(*self.towers.visual(pixels.to(self.device)))

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        prefix = "visual." if tower == "image" else "text."
        return {k: v for k, v in self.towers.state_dict().items() if k.startswith(prefix)}


def _rows(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """[normalised mean | summed variance]: what the csd scoring reads (module doc)."""
    return torch.cat([F.normalize(mean.float(), dim=-1), log_var.float().exp().sum(dim=-1, keepdim=True)], dim=-1)
