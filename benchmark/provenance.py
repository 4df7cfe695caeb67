"""Where a model's weights came from: set by the adapter that loaded them, written into every result file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    name: str
    architecture: str
    context_length: int
    #: clip77 | longclip248 | kps-stretched | linear-stretched (or customN for a table that fits none).
    pos_embed_kind: str
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None
    source: str | None = None
