"""A ProLIP model behind the model protocol: the mean embeddings ([CLS]), L2-normalised.

Scoring (docs/baselines.md, "ProLIP and LongProLIP"): longbench ranks by the cosine of the mean embeddings, which is
how the authors' zero-shot classifier scores (`build_zero_shot_classifier` over `encode_text(...)["mean"]`, then
`100 * image_mean @ classifier`). Their training-time COCO retrieval (`run_ret`) and their README example rank by an
uncertainty-aware logit instead (the cosine minus half the candidate's summed variance); `uncertainty` gives those
variances, the protocol's retrieval does not use them.
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
        return int(self.towers.text.text_projection.out_features)

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
        mean, _ = self.towers.text(batch.padded(self.context_length).ids.to(self.device))
        return F.normalize(mean.float(), dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        mean, _ = self.towers.visual(pixels.to(self.device))
        return F.normalize(mean.float(), dim=-1)

    @torch.no_grad()
    def uncertainty(self, tower: Tower, inputs: TokenBatch | torch.Tensor) -> torch.Tensor:
        """float [N]: the summed variance `exp(log_var).sum(-1)` the authors' uncertainty-aware scores use."""
        if tower == "text":
            _, log_var = self.towers.text(inputs.padded(self.context_length).ids.to(self.device))
        else:
            _, log_var = self.towers.visual(inputs.to(self.device))
        return log_var.float().exp().sum(dim=-1)

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        prefix = "visual." if tower == "image" else "text."
        return {k: v for k, v in self.towers.state_dict().items() if k.startswith(prefix)}
