"""Where a model's weights came from: set by the adapter that loaded them, written into every result file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    name: str
    architecture: str
    context_length: int
    #: clip77 | longclip248 | kps-stretched | linear-stretched (or customN for a table that fits none); CLIP-style
    #: position tables only (None for towers without one).
    pos_embed_kind: str | None
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None
    source: str | None = None
    #: Which backend built the model (open_clip, hf, ...). Results written before backends existed were open_clip.
    backend: str = "open_clip"
    #: The pinned revision of a Hub repository, where the weights came from one.
    revision: str | None = None
    #: The tokenizer and its text cleaning (see adapters/backends/open_clip/tokenizers.py).
    tokenizer: str = "clip-bpe"
    #: `TextSpec.to_dict()`: causality, padding mask, pooling, pad/eos ids, fixed length, whether trimming is exact.
    text_spec: dict[str, Any] | None = None
    licence: str | None = None
    #: How embeddings are compared (adapters/core/scoring.py): cosine, or ProLIP's csd.
    scoring: str = "cosine"
