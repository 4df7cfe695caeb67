"""Reference tokenization: SOT ... EOT, zero padding, truncation keeps the first tokens and ends in EOT."""

from __future__ import annotations

import open_clip
import pytest
import torch

from longbench.adapters import load_model
from longbench.bpe import EOT_ID, SOT_ID
from longbench.tokenizer import tokenize

LONG = " ".join(f"word{i}" for i in range(150))  # ~300 BPE tokens


def test_matches_open_clip_at_77():
    texts = ["a photo of a cat.", "Hello, World!  Many   spaces", LONG]
    ours = tokenize(texts, 77)
    assert torch.equal(ours.ids, open_clip.tokenize(texts))


def test_a_300_token_caption_is_cut_to_248_with_eot_last_and_counted():
    adapter = load_model("tiny-longclip")
    batch = adapter.tokenize([LONG, "a cat"])
    assert int(batch.raw_lengths[0]) > 300
    assert batch.ids.shape == (2, 248)
    assert batch.ids[0, 0] == SOT_ID and batch.ids[0, -1] == EOT_ID
    assert (batch.ids[0] == EOT_ID).sum() == 1
    assert batch.truncated.tolist() == [True, False]
    assert int(batch.tokens_lost[0]) == int(batch.raw_lengths[0]) - 248
    assert batch.lengths.tolist() == [248, 4]
    assert batch.ids[1, :4].tolist()[0] == SOT_ID and batch.ids[1, 3] == EOT_ID and batch.ids[1, 4:].sum() == 0


def test_any_context_keeps_sot_first_tokens_eot():
    full = tokenize([LONG], 248)
    for n in (2, 5, 20, 77):
        cut = tokenize([LONG], n)
        assert cut.ids.shape == (1, n)
        assert cut.ids[0, -1] == EOT_ID
        assert torch.equal(cut.ids[0, : n - 1], full.ids[0, : n - 1])


def test_non_string_caption_is_rejected():
    with pytest.raises(TypeError, match="captions must be strings"):
        tokenize([None], 77)  # type: ignore[list-item]
