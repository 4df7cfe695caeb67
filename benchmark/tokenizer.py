"""CLIP's BPE tokenizer with the reference truncation rule, and the token counts the reports need.

`[SOT] tokens [EOT]`, zero padding. A caption longer than the context keeps its first `context_length` tokens and
the last kept one is overwritten with EOT (OpenAI's and Long-CLIP's `truncate=True`). Unlike those tokenizers this
one returns how long every caption was before truncation, so truncation is counted, never silent.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch

from .adapters.protocol import TokenBatch

SOT_ID = 49406
EOT_ID = 49407


@functools.lru_cache(maxsize=1)
def _bpe():
    # Building the BPE merge table takes a noticeable fraction of a second: do it once per process.
    from open_clip.tokenizer import SimpleTokenizer

    return SimpleTokenizer()


def encode(text: str) -> list[int]:
    """BPE ids of one caption, without SOT/EOT (OpenAI cleaning: ftfy, whitespace, lower case)."""
    if not isinstance(text, str):
        raise TypeError(f"captions must be strings, found {type(text).__name__}")
    return _bpe().encode(text)


def tokenize(texts: Sequence[str], context_length: int) -> TokenBatch:
    """Tokenize with the reference rule; `context_length` >= 2 so that SOT and EOT always fit."""
    if context_length < 2:
        raise ValueError(f"context_length must be at least 2, got {context_length}")
    ids = torch.zeros(len(texts), context_length, dtype=torch.long)
    lengths = torch.empty(len(texts), dtype=torch.long)
    raw = torch.empty(len(texts), dtype=torch.long)
    for i, text in enumerate(texts):
        tokens = [SOT_ID, *encode(text), EOT_ID]
        raw[i] = len(tokens)
        if len(tokens) > context_length:
            tokens = tokens[:context_length]
            tokens[-1] = EOT_ID
        ids[i, : len(tokens)] = torch.tensor(tokens)
        lengths[i] = len(tokens)
    return TokenBatch(ids, lengths, raw, pad_id=0)


def count_tokens(texts: Sequence[str]) -> list[int]:
    """Length of each caption in tokens including SOT and EOT, before any truncation."""
    return [len(encode(t)) + 2 for t in texts]
