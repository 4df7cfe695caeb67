"""CLIP's BPE ids of captions, exactly the reference's (open_clip's `SimpleTokenizer`), batched and remembered.

Torch-free: the token counts of `longbench tasks` and the ids of every caption list come from here; tokenizer.py
lays them out as a model's padded, truncated batch.

The ids of a list of captions are remembered under the cache home's `tokens/` (memo.py), keyed by the captions and
the versions of what defines the reference (open_clip's vocabulary and cleaning, ftfy): a list tokenized before is
read back without importing open_clip (which imports torch, torchvision and transformers: seconds) or running the BPE.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from .cache_home import TOKENS
from .fast_tokenizer import FastBpe, Ragged
from .memo import memo_key, read_arrays, write_arrays
from .versions import OPEN_CLIP, installed_version

#: This tokenizer's name in a model's provenance.
NAME = "clip-bpe"
SOT_ID = 49406
EOT_ID = 49407
#: Bump when the remembered ids would change for the same captions and versions.
TOKENS_VERSION = 1


def require_strings(texts: Sequence[Any]) -> None:
    """Captions reach a tokenizer only as strings (a NaN from a CSV would otherwise become a token)."""
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"captions must be strings, found {type(text).__name__}")


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
    """`encode` of every caption, the same ids, batched (fast_tokenizer.py), or remembered (module doc)."""
    require_strings(texts)
    key = memo_key(NAME, TOKENS_VERSION, [installed_version(OPEN_CLIP), installed_version("ftfy")], list(texts))
    known = read_arrays(TOKENS, key)
    if known is not None and set(known) == {"ids", "offsets"} and len(known["offsets"]) == len(texts) + 1:
        return Ragged(known["ids"], known["offsets"])
    bodies = _fast().encode_batch(texts)
    write_arrays(TOKENS, key, {"ids": bodies.ids, "offsets": bodies.offsets})
    return bodies


def count_tokens(texts: Sequence[str]) -> list[int]:
    """Length of each caption in tokens including SOT and EOT, before any truncation."""
    return (encode_batch(texts).lengths + 2).tolist()
