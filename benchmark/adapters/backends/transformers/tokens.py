"""The adapter's own tokenization of a transformers checkpoint: its tokenizer only turns a caption into ids (its
cleaning, its BOS/EOS); the length, the padding side (right), the pad id and the truncation rule (content cut,
special tokens kept, as `truncation=True` does) are ours, and every caption's untruncated length is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ....bpe import require_strings
from ....errors import CheckpointError
from ...core.protocol import TextSpec, TokenBatch


@dataclass(frozen=True)
class Template:
    """The special ids the checkpoint's tokenizer puts around a caption, e.g. CLIP ([49406], [49407])."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]

    @classmethod
    def of(cls, tokenizer) -> Template:
        probe = "a photo of a dog"
        full = list(tokenizer(probe)["input_ids"])
        body = list(tokenizer(probe, add_special_tokens=False)["input_ids"])
        for start in range(len(full) - len(body) + 1):
            if full[start:start + len(body)] == body:
                return cls(tuple(full[:start]), tuple(full[start + len(body):]))
        raise CheckpointError(f"{type(tokenizer).__name__}: cannot locate the caption between its special tokens")

    def __len__(self) -> int:
        return len(self.prefix) + len(self.suffix)


def tokenize(tokenizer, template: Template, texts: Sequence[str], length: int, width: int,
             pad_id: int) -> TokenBatch:
    """Ids [N, width], right padded with `pad_id`; captions longer than `length` lose content, never specials."""
    room = length - len(template)
    if room < 1:
        raise ValueError(f"context_length {length} leaves no room for text between {len(template)} special tokens")
    require_strings(texts)
    bodies = tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    ids = torch.full((len(bodies), width), pad_id, dtype=torch.long)
    lengths = torch.empty(len(bodies), dtype=torch.long)
    raw = torch.empty(len(bodies), dtype=torch.long)
    for i, body in enumerate(bodies):
        row = [*template.prefix, *body[:room], *template.suffix]
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        lengths[i] = len(row)
        raw[i] = len(body) + len(template)
    return TokenBatch(ids, lengths, raw, pad_id)


def tokenizer_description(tokenizer, template: Template, spec: TextSpec, length: int,
                          normalise: Callable[[str], str] | None = None) -> str:
    padded = f"padded to {spec.fixed_length}" if spec.fixed_length else "trimmed per batch"
    first = f"captions through {getattr(normalise, '__qualname__', 'a normaliser')} first, " if normalise else ""
    return (f"{type(tokenizer).__name__} ({first}prefix {list(template.prefix)}, suffix {list(template.suffix)}, "
            f"right padding with {spec.pad_id}, at most {length} tokens, {padded})")
