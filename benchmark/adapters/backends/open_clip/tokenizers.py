"""A model's own tokenizer as a `TokenBatch` producer that counts truncation.

open_clip models use what `open_clip.get_tokenizer` gives them (CLIP BPE `SimpleTokenizer`, `HFTokenizer` with the
config's cleaning, `SigLipTokenizer`). The ids are that tokenizer's own output; a second pass over the same cleaned
text without truncation says how many tokens each caption had, so truncation is counted, never silent. Plain CLIP
BPE goes through `benchmark.tokenizer` (the reference rule, tested equal to `open_clip.tokenize`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from .... import bpe, tokenizer
from ....bpe import require_strings
from ....errors import CheckpointError
from ...core.protocol import TokenBatch


class Tokenizer(Protocol):
    #: Recorded in provenance: which tokenizer (and cleaning) made the ids.
    name: str
    pad_id: int

    def __call__(self, texts: Sequence[str], context_length: int) -> TokenBatch: ...


@dataclass(frozen=True)
class ClipBpe:
    """CLIP's BPE with OpenAI's truncation rule (`benchmark.tokenizer`)."""

    name: str = bpe.NAME
    pad_id: int = 0

    def __call__(self, texts: Sequence[str], context_length: int) -> TokenBatch:
        return tokenizer.tokenize(texts, context_length)


class OpenClipTokenizer:
    """Any other open_clip tokenizer: its own ids, raw lengths from its own cleaning without truncation."""

    def __init__(self, tok, name: str):
        from open_clip.tokenizer import SimpleTokenizer

        self.tok = tok
        #: The context open_clip's config gives the tokenizer (a Hugging Face text tower's own table is longer).
        self.context_length = int(tok.context_length)
        if isinstance(tok, SimpleTokenizer):
            if tok.reduction_fn is not None:
                raise CheckpointError(f"{name}: the tokenizer reduces (samples) tokens instead of truncating: "
                                      "only truncation is supported for evaluation")
            self.pad_id = 0
            self.name = f"open_clip SimpleTokenizer (clean={tok.clean_fn.__name__})"
            self._count = lambda texts: [len(tok.encode(t)) + 2 for t in texts]
        else:
            hf = tok.tokenizer
            self.pad_id = int(hf.pad_token_id)
            clean = _clean_fn(tok)
            self.name = f"open_clip {type(tok).__name__} ({hf.name_or_path}, clean={clean.__name__})"
            self._count = _hf_counter(tok, clean)

    def __call__(self, texts: Sequence[str], context_length: int) -> TokenBatch:
        texts = list(texts)
        require_strings(texts)
        if not texts:
            return TokenBatch.empty(context_length, self.pad_id)
        ids = self.tok(texts, context_length=context_length).long()
        raw = torch.tensor(self._count(texts), dtype=torch.long)
        return TokenBatch(ids, raw.clamp(max=context_length), raw, self.pad_id)


def _hf_counter(tok, clean: Callable[[str], str]) -> Callable[[list[str]], list[int]]:
    """Tokens per caption before truncation, special tokens included, as the tokenizer lays them out."""
    hf = tok.tokenizer
    if getattr(tok, "tokenizer_mode", "") == "clips":
        # CLIPS mode: BOS + text + EOS, padding, and a CLS in the last position.
        return lambda texts: [len(ids) + 3 for ids in hf([clean(t) for t in texts], add_special_tokens=False,
                                                          truncation=False, verbose=False)["input_ids"]]
    return lambda texts: [len(ids) for ids in hf([clean(t) for t in texts], truncation=False,
                                                 verbose=False)["input_ids"]]


def _clean_fn(tok) -> Callable[[str], str]:
    """HFTokenizer keeps its cleaning function; SigLipTokenizer hard-codes basic clean + canonicalize."""
    if hasattr(tok, "clean_fn"):
        return tok.clean_fn
    from open_clip.tokenizer import basic_clean, canonicalize_text

    def siglip_clean(text: str) -> str:
        return canonicalize_text(basic_clean(text))

    return siglip_clean


def open_clip_tokenizer(model_name: str) -> Tokenizer:
    """The tokenizer open_clip pairs with `model_name` (an architecture, `hf-hub:` or `local-dir:` name)."""
    import open_clip
    from open_clip.tokenizer import SimpleTokenizer, get_clean_fn

    tok = open_clip.get_tokenizer(model_name)
    if type(tok) is SimpleTokenizer and tok.reduction_fn is None and tok.clean_fn is get_clean_fn("lower"):
        return ClipBpe()
    return OpenClipTokenizer(tok, model_name)
