"""The encode path: length-aware batches are exact, images of every mode decode, bad images are named or skipped."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from longbench.adapters import load_model
from longbench.data.synthetic import MODES, write_image
from longbench.encode import Encoder
from longbench.errors import DataError
from longbench.settings import RunSettings

CAPTIONS = ["a cat", "word " * 120, "", "a dog on a mat by the door", "x " * 300, "two birds"]


@pytest.fixture(scope="module")
def adapter():
    return load_model("tiny-longclip")


def test_length_aware_batches_equal_full_context_encoding(adapter):
    emb = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False).texts(CAPTIONS)
    full = adapter.encode_text(adapter.tokenize(CAPTIONS)).numpy()  # one batch, full padding
    assert np.abs(emb.vectors - full).max() <= 1e-5
    assert emb.truncated.tolist() == [False, False, False, False, True, False]
    assert emb.tokens_lost[4] == emb.token_lengths[4] - 248 > 0


def test_batch_is_cut_at_its_longest_caption(adapter, monkeypatch):
    seen = []
    original = adapter.model.transformer.forward
    monkeypatch.setattr(adapter.model.transformer, "forward",
                        lambda x, attn_mask=None: seen.append(x.shape[1]) or original(x, attn_mask=attn_mask))
    encoder = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False)
    encoder.texts(["a cat", "a dog", "word " * 50, "hi"])
    assert sorted(seen) == [4, 52]  # never the 248-token context


def test_images_of_every_mode_decode(adapter, tmp_path):
    paths = [write_image(tmp_path / f"{i}.jpg", i) for i in range(len(MODES))]
    emb = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False).images(paths)
    assert emb.vectors.shape == (len(MODES), 64)
    assert emb.kept.tolist() == list(range(len(MODES)))


def test_arrays_are_images_too(adapter):
    arrays = np.random.default_rng(0).integers(0, 255, size=(3, 32, 32, 3), dtype=np.uint8)
    emb = Encoder(adapter, RunSettings.resolve("cpu"), progress=False).images(arrays)
    assert emb.vectors.shape == (3, 64)


def test_bad_image_is_named_or_skipped(adapter, tmp_path):
    good = write_image(tmp_path / "good.jpg", 0)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    encoder = Encoder(adapter, RunSettings.resolve("cpu"), progress=False)
    with pytest.raises(DataError, match=r"cannot decode image .*bad.jpg .*--skip-bad-images"):
        encoder.images([good, bad])
    emb = encoder.images([bad, good], skip_bad=True)
    assert emb.kept.tolist() == [1]
    assert len(emb.skipped) == 1 and "bad.jpg" in emb.skipped[0]


@pytest.mark.slow  # DataLoader worker processes
def test_workers_give_the_same_embeddings(adapter, tmp_path):
    paths = [write_image(tmp_path / f"{i}.png", i) for i in range(4)]
    one = Encoder(adapter, RunSettings.resolve("cpu", batch_size=3), progress=False).images(paths).vectors
    two = Encoder(adapter, RunSettings.resolve("cpu", batch_size=3, workers=2), progress=False).images(paths).vectors
    assert np.abs(one - two).max() <= 1e-6


@pytest.mark.parametrize("kwargs,message", [({"device": "tpu"}, "unknown device"),
                                            ({"precision": "fp8"}, "unknown precision"),
                                            ({"batch_size": 0}, "batch-size 0")])
def test_bad_settings(adapter, kwargs, message):
    with pytest.raises(DataError, match=message):
        Encoder(adapter, RunSettings.resolve(**kwargs))


def test_border_crop_and_images_too_small_for_it():
    from longbench.data.images import open_rgb

    img = np.zeros((4, 5, 3), dtype=np.uint8)
    assert open_rgb(img, crop_border=1).size == (3, 2)
    with pytest.raises(ValueError, match="too small to crop a 1-px border"):
        open_rgb(np.zeros((2, 2, 3), dtype=np.uint8), crop_border=1)


def test_non_finite_embeddings_are_an_error_naming_the_tower_and_item(tmp_path):
    from longbench.adapters import load_model
    from longbench.encode import Encoder
    from longbench.errors import NonFiniteError

    adapter = load_model("tiny-clip")
    with torch.no_grad():
        adapter.model.text_projection[:, 3] = float("nan")
    encoder = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False)
    with pytest.raises(NonFiniteError, match=r"tiny-clip: the text tower produced NaN/Inf for caption 0 'a cat'"):
        encoder.texts(["a cat", "a dog"])
    adapter = load_model("tiny-clip")
    with torch.no_grad():
        adapter.model.visual.proj.fill_(float("inf"))
    encoder = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False)
    with pytest.raises(NonFiniteError, match=r"image tower produced NaN/Inf for image #0 \(a\)"):
        encoder.images(np.zeros((2, 32, 32, 3), np.uint8), ["a", "b"])
    assert NonFiniteError.exit_code == 3
