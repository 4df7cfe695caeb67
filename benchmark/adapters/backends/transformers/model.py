"""A transformers checkpoint behind the model protocol (`HFModel`), and the library calls that read its towers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image

from ....provenance import ModelInfo
from ...core.protocol import TextSpec, TokenBatch, Tower, cut_length
from .tokens import Template, tokenize

#: Tensors that scale similarities but no embedding.
NOT_EMBEDDING = ("logit_scale", "logit_bias")


def features(out) -> torch.Tensor:
    """get_*_features returns a tensor (transformers 4.x) or an output whose pooler_output is projected (5.x)."""
    return out if isinstance(out, torch.Tensor) else out.pooler_output


@dataclass
class HFModel:
    """A transformers checkpoint behind the model protocol; embeddings are L2-normalised float32."""

    model: torch.nn.Module
    tokenizer: Any
    template: Template
    text_spec: TextSpec
    context_length: int
    embed_dim: int
    provenance: ModelInfo
    preprocess: Callable[[Image.Image], torch.Tensor]
    #: (model, ids) -> text features, (model, pixels) -> image features: the authors' calls for this family.
    text_features: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]
    image_features: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]
    #: Applied to each caption before tokenizing, where the authors' evaluation does it (e.g. str.lower).
    normalise: Callable[[str], str] | None = None

    def __post_init__(self) -> None:
        self.model.eval()

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: str | torch.device) -> HFModel:
        self.model.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        """At the model's context, or a shorter one (truncated there; a fixed-length tower is still padded to
        its full length, the only input it was trained on)."""
        length = cut_length(context_length, self.context_length)
        width = self.text_spec.fixed_length or length
        if self.normalise:
            texts = [self.normalise(text) if isinstance(text, str) else text for text in texts]
        return tokenize(self.tokenizer, self.template, texts, length, width, self.text_spec.pad_id)

    @torch.no_grad()
    def encode_text(self, tokens: TokenBatch) -> torch.Tensor:
        """A model with a fixed length always reads exactly that many tokens: a narrower batch is padded back
        (SigLIP-style towers attend their padding; FG-CLIP's code is run on the width its authors use). No
        attention mask is passed: causal towers read nothing after the pooled token, and SigLIP-style towers were
        trained without one (a mask would change their output)."""
        if self.text_spec.fixed_length:
            tokens = tokens.padded(self.text_spec.fixed_length)
        x = self.text_features(self.model, tokens.ids.to(self.device))
        return F.normalize(x.float(), dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.image_features(self.model, pixels.to(self.device))
        return F.normalize(x.float(), dim=-1)

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        return tower_tensors(self.model.state_dict(), tower)


def tower_tensors(state: dict[str, torch.Tensor], tower: Tower) -> dict[str, torch.Tensor]:
    """Tensors by top-level name: `text*` feed the text tower, `vision*`/`visual*` the image tower; the logit scale
    and bias feed neither; anything else (a layout not seen before) is counted for both, to be safe."""
    out = {}
    for key, value in state.items():
        head = key.split(".")[0]
        side = "text" if head.startswith("text") else "image" if head.startswith(("vision", "visual")) else None
        if head in NOT_EMBEDDING or (side is not None and side != tower):
            continue
        out[key] = value
    return out


def default_text(model, ids: torch.Tensor) -> torch.Tensor:
    return features(model.get_text_features(input_ids=ids))


def default_image(model, pixels: torch.Tensor) -> torch.Tensor:
    return features(model.get_image_features(pixel_values=pixels))
