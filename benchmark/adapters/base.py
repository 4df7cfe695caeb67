"""The one runtime adapter every checkpoint format ends in: an open_clip CLIP with its effective position table.

Loading differs per format (see formats.py, longclip.py, stretch.py, open_clip.py); running does not. Long-CLIP's
two tables are combined at load time into `model.positional_embedding`, so the encode path below is the same for
CLIP, Long-CLIP and stretched checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from open_clip.model import CLIP
from PIL import Image

from .. import tokenizer
from ..errors import CheckpointError
from ..provenance import ModelInfo


class ClipAdapter:
    """tokenize -> encode_text, preprocess -> encode_image; embeddings are L2-normalised float32."""

    def __init__(self, model: CLIP, preprocess: Callable[[Image.Image], torch.Tensor], provenance: ModelInfo):
        if not isinstance(model, CLIP) or getattr(model, "text_pool_type", "argmax") != "argmax":
            raise CheckpointError(
                f"{provenance.name}: only CLIP-style models (causal text tower pooled at EOT) are supported, "
                f"found {type(model).__name__}"
            )
        self.model = model.eval()
        self.preprocess = preprocess
        self.provenance = provenance

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def context_length(self) -> int:
        return int(self.model.positional_embedding.shape[0])

    @property
    def device(self) -> torch.device:
        return self.model.positional_embedding.device

    def to(self, device: str | torch.device) -> ClipAdapter:
        self.model.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> tokenizer.TokenBatch:
        """Reference tokenization at the model's context (or a shorter one, as the length probe uses)."""
        return tokenizer.tokenize(texts, context_length or self.context_length)

    @torch.no_grad()
    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        """Text embeddings of token ids [N, L], L <= context_length.

        The text tower's attention is causal and the output is read at EOT (the largest id), so positions after
        the batch's last EOT cannot change any result: the batch is cut there. Exact; the Encoder batches captions
        by length so each batch is cut at its own longest (tools/bench_text_encoding.py measures the gain).
        """
        eot = ids.argmax(dim=-1)
        n = int(eot.max()) + 1
        if n > self.context_length:
            raise ValueError(f"token ids are {n} long, the model's context is {self.context_length}")
        m = self.model
        ids = ids[:, :n].to(self.device)
        cast = m.transformer.get_cast_dtype()
        x = m.token_embedding(ids).to(cast) + m.positional_embedding[:n].to(cast)
        x = m.transformer(x, attn_mask=m.attn_mask[:n, :n])
        x = m.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), eot.to(x.device)]
        x = m.text_projection(x) if isinstance(m.text_projection, torch.nn.Linear) else x @ m.text_projection
        return F.normalize(x.float(), dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        """Image embeddings of preprocessed pixels [N, 3, H, W]."""
        x = self.model.encode_image(pixels.to(self.device))
        return F.normalize(x.float(), dim=-1)
