"""ProLIP's tokenizer: `HFTokenizer(hf_tokenizer_name, context_length, clean=...)` of the authors' package
(naver-ai/prolip, src/prolip/tokenizer.py, from open_clip 2.24), as a `TokenBatch` producer that counts truncation.

Each caption is cleaned (`canonicalize` for the released models: ftfy + HTML unescape, `_` to space, punctuation
removed, lower case, whitespace runs collapsed by the regex `\\s+`), then the Hugging Face tokenizer pads to
`max_length` and truncates (the SigLIP T5 tokenizer keeps `</s>` last). The rule is written out as the authors wrote
it: open_clip 3's `canonicalize_text` collapses whitespace with `str.split` instead, which differs on U+001C-U+001F
only (ftfy removes those first, so the two agree today; an open_clip change cannot move this one). A second pass
without truncation counts each caption's tokens.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import regex
import torch
from open_clip.tokenizer import basic_clean

from ....bpe import require_strings
from ....errors import CheckpointError
from ...core.protocol import TokenBatch

PUNCTUATION = str.maketrans("", "", string.punctuation)


def whitespace_clean(text: str) -> str:
    return regex.sub(r"\s+", " ", text).strip()


def canonicalize(text: str) -> str:
    """big_vision's canonicalisation as ProLIP's tokenizer.py writes it."""
    return whitespace_clean(text.replace("_", " ").translate(PUNCTUATION).lower())


#: `HFTokenizer(clean=...)` -> the function applied to each caption.
CLEANERS: dict[str, Callable[[str], str]] = {
    "canonicalize": lambda text: canonicalize(basic_clean(text)),
    "lower": lambda text: whitespace_clean(basic_clean(text)).lower(),
    "whitespace": lambda text: whitespace_clean(basic_clean(text)),
}


@dataclass
class ProLIPTokenizer:
    tokenizer: Any  # a transformers tokenizer
    clean: str
    #: Where the tokenizer files came from (repository@commit or folder), for provenance.
    origin: str

    def __post_init__(self) -> None:
        if self.tokenizer.pad_token_id is None:
            raise CheckpointError(f"{self.origin}: the tokenizer has no pad token (padding='max_length' needs one)")
        if self.tokenizer.padding_side != "right":
            raise CheckpointError(f"{self.origin}: the tokenizer pads on the {self.tokenizer.padding_side}; ProLIP "
                                  "reads right-padded ids (its [CLS] is appended after the last position)")

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)

    @property
    def name(self) -> str:
        return f"ProLIP HFTokenizer ({self.origin}, clean={self.clean}, padding='max_length')"

    def __call__(self, texts: Sequence[str], context_length: int) -> TokenBatch:
        texts = list(texts)
        require_strings(texts)
        if not texts:
            return TokenBatch.empty(context_length, self.pad_id)
        cleaned = [CLEANERS[self.clean](text) for text in texts]
        ids = self.tokenizer(cleaned, return_tensors="pt", max_length=context_length, padding="max_length",
                             truncation=True).input_ids.long()
        raw = torch.tensor([len(row) for row in self.tokenizer(cleaned, truncation=False, verbose=False)["input_ids"]],
                           dtype=torch.long)
        return TokenBatch(ids, raw.clamp(max=context_length), raw, self.pad_id)
