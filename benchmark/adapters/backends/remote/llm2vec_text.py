"""LLM2Vec's text path, the one LLM2CLIP's text side runs: a Llama 3 Instruct LLM made bidirectional, averaged over
the caption's tokens.

What the authors run (LLM2CLIP's model cards and `llm2clip/data/extract_eval_embedding.py`):
`LLM2Vec(llm, tokenizer, pooling_mode="mean", max_length=512, doc_max_length=512).encode(captions)` after
`llm.config._name_or_path = "meta-llama/Meta-Llama-3-8B-Instruct"`, which selects the chat wrap below. The llm2vec
package pins transformers<=4.44.2 and its bidirectional Llama subclasses attention classes that transformers removed
in 4.48 (as does the copy in the LLM repositories' own code), so neither can run beside transformers>=4.56. This
module computes the same thing on transformers' own `LlamaModel`, with no code from the repository:

- each caption becomes `<|start_header_id|>user<|end_header_id|>\\n\\n` + caption (trailing whitespace stripped) +
  `<|eot_id|>`, tokenized with the tokenizer's own BOS and cut at `max_length` on its own truncation side;
- the pooled span is the caption plus `<|eot_id|>`, counted by tokenizing that part alone (truncated alike), and is
  the last that many positions of the left-padded row (LLM2Vec's `embed_mask`);
- attention is bidirectional with the padding masked (LLM2Vec's `_update_causal_mask` without its causal triangle),
  positions count from the padded row's start as in its left-padded batches;
- the embedding is the mean of the final hidden states over the span.
LLM2Vec marks its instruction boundary with the string `!@#$%^&*()`; a caption containing it is split the same way.
tests/fixtures/llm2vec/ holds the vectors the real llm2vec 0.2.3 computes on a tiny model, which the tests compare.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ....bpe import require_strings
from ....errors import CheckpointError
from ...core.protocol import TokenBatch

HEADER = "<|start_header_id|>user<|end_header_id|>\n\n"
END = "<|eot_id|>"
SEPARATOR = "!@#$%^&*()"
SPECIALS = ("<|start_header_id|>", "<|end_header_id|>", END)


def check_tokenizer(tokenizer, name: str) -> None:
    """The chat wrap only means what the LLM was trained on where these are single special tokens (Llama 3)."""
    added = tokenizer.get_added_vocab()
    missing = [token for token in SPECIALS if token not in added]
    if missing:
        raise CheckpointError(f"{name}: the tokenizer has no {', '.join(missing)}: LLM2Vec's Llama 3 Instruct chat "
                              "wrap needs them (expected a Llama 3 Instruct LLM)")


def llm2vec_texts(caption: str) -> tuple[str, str]:
    """(what the LLM reads, the part it averages) for one caption, as LLM2Vec.encode builds them: no instruction,
    `_convert_to_str` then `prepare_for_tokenization` then the split in `tokenize`."""
    wrapped = HEADER + (SEPARATOR + caption).strip() + END
    parts = wrapped.split(SEPARATOR)
    return "".join(parts), parts[1] if len(parts) > 1 else ""


def tokenize(tokenizer, captions: Sequence[str], length: int) -> TokenBatch:
    """Right-padded ids [N, length] (the protocol's layout; encode moves the padding left), kept and untruncated
    lengths, and each caption's pooled span."""
    require_strings(captions)
    pairs = [llm2vec_texts(caption) for caption in captions]
    read, pooled = [r for r, _ in pairs], [p for _, p in pairs]
    full = _ids(tokenizer, read)
    kept = _ids(tokenizer, read, truncation=True, max_length=length)
    spans = _ids(tokenizer, pooled, add_special_tokens=False, truncation=True, max_length=length)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.full((len(kept), length), pad, dtype=torch.long)
    for i, row in enumerate(kept):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
    as_tensor = lambda rows: torch.tensor([len(r) for r in rows], dtype=torch.long)  # noqa: E731
    return TokenBatch(ids, as_tensor(kept), as_tensor(full), pad, pool_lengths=as_tensor(spans))


def _ids(tokenizer, texts: list[str], **options) -> list[list[int]]:
    return tokenizer(texts, **options)["input_ids"] if texts else []


def bidirectional_mask(lengths: torch.Tensor, width: int, dtype: torch.dtype) -> torch.Tensor:
    """[N, 1, width, width] additive mask for left-padded rows: every position sees every real token."""
    real = torch.arange(width, device=lengths.device)[None] >= (width - lengths)[:, None]
    mask = torch.zeros(len(lengths), 1, width, width, dtype=dtype, device=lengths.device)
    return mask.masked_fill(~real[:, None, None, :], torch.finfo(dtype).min)


def encode(llm: torch.nn.Module, batch: TokenBatch) -> torch.Tensor:
    """Mean final hidden state over each caption's pooled span, the LLM reading the batch left-padded."""
    if batch.pool_lengths is None:
        raise ValueError("LLM2Vec pools a span per caption: tokenize with llm2vec_text.tokenize")
    device = next(llm.parameters()).device
    ids = batch.left_aligned().to(device)
    mask = bidirectional_mask(batch.lengths.to(device), ids.shape[1], next(llm.parameters()).dtype)
    hidden = llm(input_ids=ids, attention_mask=mask).last_hidden_state
    # LLM2Vec's own slice: the last n positions (n = 0 would be the whole row, as there).
    return torch.stack([hidden[i, -n:].mean(dim=0) for i, n in enumerate(batch.pool_lengths.tolist())])
