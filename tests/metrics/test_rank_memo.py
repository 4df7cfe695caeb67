"""Remembered retrieval ranks: a hit is exactly what ranking gives for the same inputs, and anything that could
change a rank (an embedding's last bit, the index, the device type, the caption map) is a new key."""

from __future__ import annotations

import numpy as np
import pytest

from longbench.cache_home import RANKS, cache_folder
from longbench.metrics import rank_memo
from longbench.metrics.rank_memo import ranks_key, remembered_ranks
from longbench.metrics.retrieval import retrieval_ranks


def embeddings(seed: int = 0, n_images: int = 7, per_image: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n_images, 16)).astype(np.float32)
    texts = rng.standard_normal((n_images * per_image, 16)).astype(np.float32)
    texts[4] = texts[5]  # an exact tie: the tie rule must survive the round trip
    return images, texts, np.repeat(np.arange(n_images), per_image)


@pytest.fixture
def computed(monkeypatch):
    """How many times ranks were really computed."""
    calls = []
    real = rank_memo.retrieval_ranks
    monkeypatch.setattr(rank_memo, "retrieval_ranks", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    return calls


def same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("i2t", "t2i", "pair_i2t", "text_to_image")) \
        and a.depth == b.depth


@pytest.mark.parametrize("index", ["dense", "chunked"])
def test_a_second_ranking_of_the_same_inputs_is_read_and_identical(computed, index):
    images, texts, gt = embeddings()
    first = remembered_ranks(images, texts, gt, device="cpu", index=index, k=10)
    second = remembered_ranks(images, texts, gt, device="cpu", index=index, k=10)
    assert len(computed) == 1
    assert same(first, second) and same(second, retrieval_ranks(images, texts, gt, index=index, k=10))


def test_anything_that_could_change_a_rank_is_another_key():
    images, texts, gt = embeddings()
    base = ranks_key(images, texts, gt, "dense", 10, "cpu")
    nudged = texts.copy()
    nudged[0, 0] = np.nextafter(nudged[0, 0], np.float32(np.inf))
    other_gt = gt.copy()
    other_gt[[0, -1]] = other_gt[[-1, 0]]
    others = [ranks_key(images, nudged, gt, "dense", 10, "cpu"), ranks_key(images, texts, other_gt, "dense", 10, "cpu"),
              ranks_key(images, texts, gt, "chunked", 10, "cpu"), ranks_key(images, texts, gt, "chunked", 20, "cpu"),
              ranks_key(images, texts, gt, "dense", 10, "cuda:1"), ranks_key(texts[:7], images, gt, "dense", 10, "cpu")]
    assert len({base, *others}) == 1 + len(others)
    assert ranks_key(images, texts, gt, "dense", 10, "cuda:0") == ranks_key(images, texts, gt, "dense", 10, "cuda:1")


def test_a_damaged_or_foreign_record_is_computed_again_and_replaced(computed):
    images, texts, gt = embeddings()
    remembered_ranks(images, texts, gt, device="cpu", index="dense", k=10)
    [record] = cache_folder(RANKS).rglob("*.npz")
    record.write_bytes(record.read_bytes()[:100])
    again = remembered_ranks(images, texts, gt, device="cpu", index="dense", k=10)
    assert len(computed) == 2 and same(again, retrieval_ranks(images, texts, gt))
    remembered_ranks(images, texts, gt, device="cpu", index="dense", k=10)
    assert len(computed) == 2  # the replaced record is read


def test_without_the_cache_nothing_is_read_or_written_and_a_cache_dir_moves_the_records(computed, tmp_path):
    images, texts, gt = embeddings()
    for _ in range(2):
        remembered_ranks(images, texts, gt, device="cpu", index="dense", k=10, cache=False)
    assert len(computed) == 2 and not cache_folder(RANKS).exists()
    remembered_ranks(images, texts, gt, device="cpu", index="dense", k=10, cache_home=tmp_path / "elsewhere")
    assert not cache_folder(RANKS).exists() and list((tmp_path / "elsewhere" / RANKS).rglob("*.npz"))
