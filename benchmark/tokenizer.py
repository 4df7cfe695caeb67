"""CLIP's BPE tokenizer with the reference truncation rule, and the token counts the reports need.

`[SOT] tokens [EOT]`, zero padding. A caption longer than the context keeps its first `context_length` tokens and
the last kept one is overwritten with EOT (OpenAI's and Long-CLIP's `truncate=True`). Unlike those tokenizers this
one returns how long every caption was before truncation, so truncation is counted, never silent.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch

from .adapters.core.protocol import TokenBatch, require_strings
from .fast_tokenizer import FastBpe, Ragged

SOT_ID = 49406
EOT_ID = 49407


@functools.lru_cache(maxsize=1)
def _bpe():
    # Building the BPE merge table takes a noticeable fraction of a second: do it once per process.
    from open_clip.tokenizer import SimpleTokenizer

    return SimpleTokenizer()


@functools.lru_cache(maxsize=1)
def _fast() -> FastBpe:
    """The batched path (fast_tokenizer.py) on the reference's tables; its BPE in Rust when `tokenizers` imports."""
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        return FastBpe(_bpe(), rust=False)
    return FastBpe(_bpe())


def encode(text: str) -> list[int]:
    """BPE ids of one caption, without SOT/EOT (OpenAI cleaning: ftfy, whitespace, lower case): the reference."""
    require_strings([text])
    return _bpe().encode(text)


def encode_batch(texts: Sequence[str]) -> Ragged:
    """`encode` of every caption, the same ids, batched (fast_tokenizer.py)."""
    require_strings(texts)
    return _fast().encode_batch(texts)


def tokenize(texts: Sequence[str], context_length: int) -> TokenBatch:
    """Tokenize with the reference rule; `context_length` >= 2 so that SOT and EOT always fit."""
    if context_length < 2:
        raise ValueError(f"context_length must be at least 2, got {context_length}")
    bodies = encode_batch(texts)
    raw = bodies.lengths + 2
    lengths = np.minimum(raw, context_length)
    ids = np.zeros((len(texts), context_length), dtype=np.int64)
    rows = np.arange(len(texts))
    ids[:, 0] = SOT_ID
    ids[rows, lengths - 1] = EOT_ID  # after the last kept token: the last position when the caption is cut
    # The first `lengths - 2` tokens of each body go to positions 1 .. lengths - 2 of its row.
    kept = lengths - 2
    within = np.arange(int(kept.sum())) - np.repeat(np.cumsum(kept) - kept, kept)
    ids[np.repeat(rows, kept), within + 1] = bodies.ids[np.repeat(bodies.offsets[:-1], kept) + within]
    return TokenBatch(torch.from_numpy(ids), torch.from_numpy(lengths), torch.from_numpy(raw), pad_id=0)


def count_tokens(texts: Sequence[str]) -> list[int]:
    """Length of each caption in tokens including SOT and EOT, before any truncation."""
    return (encode_batch(texts).lengths + 2).tolist()
