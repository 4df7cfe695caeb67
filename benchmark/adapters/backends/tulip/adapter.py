"""A TULIP model behind the model protocol: the base CLIP's image tower and a TULIP text tower (towers.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import torch
from PIL import Image
from torch import nn

from ....provenance import ModelInfo
from ...core.protocol import TextSpec, Tower
from ...core.two_towers import TwoTowers
from ..open_clip.tokenizers import Tokenizer
from .towers import TulipText


class TulipAdapter(TwoTowers):
    """tokenize -> the TULIP text tower, preprocess -> the base's image tower; embeddings L2-normalised float32."""

    def __init__(self, text: TulipText, visual: nn.Module, preprocess: Callable[[Image.Image], torch.Tensor],
                 tokenizer: Tokenizer, provenance: ModelInfo):
        self.text, self.image = text.eval(), visual.eval()  # the base's image tower
        self.tokenizer = tokenizer
        self.preprocess = preprocess
        # Causal attention pooled at the EOT token (towers.py): trimming a batch is exact.
        self.text_spec = TextSpec(causal=True, pad_masked=False, pool="eot_argmax", pad_id=tokenizer.pad_id)
        self.provenance = replace(provenance, tokenizer=tokenizer.name, text_spec=self.text_spec.to_dict())

    @property
    def context_length(self) -> int:
        return self.text.context_length

    @property
    def embed_dim(self) -> int:
        return self.text.width

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        if tower == "image":
            return {f"visual.{k}": v for k, v in self.image.state_dict().items()}
        return dict(self.text.state_dict())
