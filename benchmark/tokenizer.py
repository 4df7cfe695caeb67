"""CLIP's BPE tokenizer with the reference truncation rule: a model's batch of token ids.

`[SOT] tokens [EOT]`, zero padding. A caption longer than the context keeps its first `context_length` tokens and
the last kept one is overwritten with EOT (OpenAI's and Long-CLIP's `truncate=True`). Unlike those tokenizers this
one returns how long every caption was before truncation, so truncation is counted, never silent. The ids come from
bpe.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .adapters.core.protocol import TokenArrays, TokenBatch
from .bpe import EOT_ID, SOT_ID, encode_batch


def tokenize(texts: Sequence[str], context_length: int) -> TokenBatch:
    """Tokenize with the reference rule; `context_length` >= 2 so that SOT and EOT always fit."""
    return token_arrays(texts, context_length).batch()


def token_arrays(texts: Sequence[str], context_length: int) -> TokenArrays:
    """`tokenize` as numpy arrays, without torch."""
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
    return TokenArrays(ids, lengths.astype(np.int64), raw.astype(np.int64), pad_id=0)
