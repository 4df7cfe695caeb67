"""The open_clip backend's runtime model: any open_clip CLIP, CustomTextCLIP or CoCa as an `ImageTextModel`.

Loading differs per format (see build.py, loading.py, stretched.py and core/checkpoint_files.py); running does
not. Long-CLIP's two tables are combined at load time into the tower's positional table, so the encode path below is
the same for CLIP, Long-CLIP and stretched checkpoints. The text tower and its `TextSpec` come from text_tower.py,
the tokenizer from tokenizers.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from PIL import Image

from ....provenance import ModelInfo
from ...core.protocol import TextSpec, TokenBatch, Tower, cut_length
from . import text_tower
from .tokenizers import ClipBpe, Tokenizer

#: Scalars of the contrastive loss: they scale logits, never an embedding.
LOSS_SCALARS = ("logit_scale", "logit_bias")


class ClipAdapter:
    """tokenize -> encode_text, preprocess -> encode_image; embeddings are L2-normalised float32."""

    def __init__(self, model: torch.nn.Module, preprocess: Callable[[Image.Image], torch.Tensor],
                 provenance: ModelInfo, tokenizer: Tokenizer | None = None):
        self.model = model.eval()
        self.tokenizer = tokenizer or ClipBpe()
        self.tower = text_tower.text_tower(model, provenance.name, getattr(self.tokenizer, "context_length", None))
        self.text_spec: TextSpec = self.tower.spec(self.tokenizer.pad_id)
        self.preprocess = preprocess
        self.provenance = replace(provenance, tokenizer=self.tokenizer.name, text_spec=self.text_spec.to_dict())

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def context_length(self) -> int:
        return self.tower.context_length

    @property
    def embed_dim(self) -> int:
        return self.tower.embed_dim

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: str | torch.device) -> ClipAdapter:
        self.model.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        """The model's tokenizer at its context (or a shorter one, as the length probe uses)."""
        return self.tokenizer(texts, cut_length(context_length, self.context_length))

    @torch.no_grad()
    def encode_text(self, batch: TokenBatch) -> torch.Tensor:
        """Text embeddings of a token batch of any width up to the context, computed at that width."""
        x = text_tower.encode(self.tower, batch.ids.to(self.device))
        return F.normalize(x.float(), dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        """Image embeddings of preprocessed pixels [N, 3, H, W]."""
        x = self.model.encode_image(pixels.to(self.device))
        return F.normalize(x.float(), dim=-1)

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        """The image tower's tensors (`visual.*`) or the text tower's (everything else but the loss scalars)."""
        image = tower == "image"
        return {k: v for k, v in self.model.state_dict().items()
                if k.startswith("visual.") == image and k not in LOSS_SCALARS}
