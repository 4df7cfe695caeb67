"""The model protocol: which text specs allow trimming, token batches, and the Encoder's use of both."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from open_clip.model import CustomTextCLIP

from longbench.adapters import ClipAdapter, ImageTextModel, TextSpec, TokenBatch, load_model
from longbench.adapters.backends.open_clip.build import clip_preprocess
from longbench.encode import Encoder
from longbench.provenance import ModelInfo
from longbench.settings import RunSettings

CAPTIONS = ["a cat", "a dog asleep on a red sofa in the afternoon sun", "two birds", "word " * 30]


@pytest.mark.parametrize(("causal", "pad_masked", "pool", "exact"), [
    (True, False, "eot_argmax", True), (True, False, "eos_id", True), (True, False, "last", False),
    (True, False, "mean", False), (False, False, "eot_argmax", False), (False, False, "last", False),
    (False, True, "cls", True), (False, True, "mean", True), (False, True, "eos_id", True),
    (False, True, "eot_argmax", True), (False, True, "last", False),
])
def test_trimming_is_exact_only_where_padding_cannot_reach_the_pooled_token(causal, pad_masked, pool, exact):
    spec = TextSpec(causal=causal, pad_masked=pad_masked, pool=pool, pad_id=0, eos_id=2)
    assert spec.trim_exact is exact
    assert spec.to_dict()["trim_exact"] is exact


def test_a_text_spec_refuses_unknown_pools_and_eos_pool_without_an_id():
    with pytest.raises(ValueError, match="unknown pool"):
        TextSpec(causal=True, pad_masked=False, pool="max", pad_id=0)
    with pytest.raises(ValueError, match="eos_id"):
        TextSpec(causal=True, pad_masked=False, pool="eos_id", pad_id=0)


def test_token_batch_rows_trim_pad_and_mask():
    ids = torch.tensor([[5, 6, 7, 1, 1, 1], [5, 6, 1, 1, 1, 1], [5, 6, 7, 8, 9, 1]])
    batch = TokenBatch(ids, torch.tensor([3, 2, 5]), torch.tensor([3, 2, 9]), pad_id=1)
    sub = batch.select([1, 0])
    assert sub.ids.tolist() == [[5, 6, 1, 1, 1, 1], [5, 6, 7, 1, 1, 1]] and sub.truncated.tolist() == [False, False]
    assert sub.trimmed().ids.tolist() == [[5, 6, 1], [5, 6, 7]]
    assert sub.trimmed().attention_mask.tolist() == [[1, 1, 0], [1, 1, 1]]
    assert sub.trimmed().padded(8).ids.tolist() == [[5, 6, 1, 1, 1, 1, 1, 1], [5, 6, 7, 1, 1, 1, 1, 1]]
    assert batch.truncated.tolist() == [False, False, True] and batch.tokens_lost.tolist() == [0, 0, 4]
    with pytest.raises(ValueError, match="do not fit"):
        batch.padded(4)


def test_pooled_spans_travel_with_their_rows_and_rows_align_left():
    ids = torch.tensor([[5, 6, 7, 1, 1], [5, 6, 1, 1, 1]])
    batch = TokenBatch(ids, torch.tensor([3, 2]), torch.tensor([3, 2]), pad_id=1, pool_lengths=torch.tensor([2, 1]))
    assert batch.select([1]).pool_lengths.tolist() == [1]
    assert batch.trimmed().pool_lengths.tolist() == [2, 1] and batch.padded(7).pool_lengths.tolist() == [2, 1]
    assert batch.trimmed().left_aligned().tolist() == [[5, 6, 7], [1, 5, 6]]
    assert batch.left_aligned().tolist() == [[1, 1, 5, 6, 7], [1, 1, 1, 5, 6]]
    assert TokenBatch(ids, torch.tensor([3, 2]), torch.tensor([3, 2])).select([0]).pool_lengths is None


def bidirectional_tiny() -> ClipAdapter:
    """SigLIP-style text: no causal mask, padding attended, pooled at the last position."""
    torch.manual_seed(0)
    text = {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2,
            "no_causal_mask": True, "pool_type": "last", "proj_bias": True}
    model = CustomTextCLIP(32, {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8}, text)
    return ClipAdapter(model, clip_preprocess(32), ModelInfo("bidir", "tiny", 77, "clip77"))


def test_the_open_clip_backend_is_an_image_text_model():
    adapter = load_model("tiny-clip")
    assert isinstance(adapter, ImageTextModel)
    assert adapter.embed_dim == 64 and adapter.text_spec.trim_exact
    assert adapter.provenance.text_spec == adapter.text_spec.to_dict()
    image, text = adapter.tower_state("image"), adapter.tower_state("text")
    assert all(k.startswith("visual.") for k in image) and "positional_embedding" in text
    assert not set(image) & set(text) and "logit_scale" not in text


def test_trimmed_equals_padded_where_the_spec_says_exact():
    adapter = load_model("tiny-longclip")
    batch = adapter.tokenize(CAPTIONS)
    trimmed, padded = adapter.encode_text(batch.trimmed()), adapter.encode_text(batch)
    assert batch.trimmed().ids.shape[1] < batch.ids.shape[1]
    assert (trimmed - padded).abs().max() <= 1e-5


def test_a_bidirectional_tower_is_never_trimmed():
    adapter = bidirectional_tiny()
    spec = adapter.text_spec
    assert not spec.trim_exact and spec.pool == "last" and spec.fixed_length == 77
    batch = adapter.tokenize(CAPTIONS)
    # Why: cutting the padding really changes this tower's embeddings.
    assert (adapter.encode_text(batch.trimmed()) - adapter.encode_text(batch)).abs().max() > 1e-2
    seen = []
    original = adapter.model.text.transformer.forward
    adapter.model.text.transformer.forward = lambda x, attn_mask=None: seen.append(x.shape[1]) or original(
        x, attn_mask=attn_mask)
    encoder = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False)
    assert not encoder.trims
    emb = encoder.texts(CAPTIONS)
    assert seen == [77, 77]
    expected = adapter.encode_text(batch).numpy()
    assert np.abs(emb.vectors - expected).max() <= 1e-5
    seen.clear()
    encoder.texts(CAPTIONS, context_length=5)  # the probe's short contexts are padded back to the fixed length
    assert seen == [77, 77]


def test_no_trim_pads_even_an_exact_model():
    adapter = load_model("tiny-clip")
    trimmed = Encoder(adapter, RunSettings.resolve("cpu"), progress=False).texts(CAPTIONS).vectors
    padded_encoder = Encoder(adapter, RunSettings.resolve("cpu"), progress=False, trim=False)
    assert not padded_encoder.trims
    assert np.abs(padded_encoder.texts(CAPTIONS).vectors - trimmed).max() <= 1e-5


def test_a_text_tower_the_backend_cannot_run_is_refused_in_one_line():
    from longbench.errors import CheckpointError

    model = bidirectional_tiny().model
    model.text = torch.nn.Identity()  # e.g. open_clip's HFTextEncoder: a Hugging Face text model
    with pytest.raises(CheckpointError, match="text tower Identity is not supported by the open_clip backend"):
        ClipAdapter(model, clip_preprocess(32), ModelInfo("other", "tiny", 77, "clip77"))


def test_every_backend_cuts_at_its_context_or_shorter_never_longer(tmp_path):
    """open_clip, transformers and LLM2CLIP share one rule (protocol.cut_length)."""
    from longbench.adapters.core.protocol import cut_length

    assert cut_length(None, 77) == 77 and cut_length(20, 77) == 20
    with pytest.raises(ValueError, match="context_length 78 exceeds the model's context 77"):
        cut_length(78, 77)
    adapter = bidirectional_tiny()
    assert adapter.tokenize(["a dog"], 20).ids.shape[1] == 20
    with pytest.raises(ValueError, match="exceeds the model's context 77"):
        adapter.tokenize(["a dog"], 78)


def test_an_empty_token_batch_has_the_context_width_and_the_pad_id():
    batch = TokenBatch.empty(77, pad_id=3)
    assert batch.ids.shape == (0, 77) and batch.ids.dtype == torch.long and batch.pad_id == 3
    assert len(batch) == 0 and batch.truncated.shape == (0,)
