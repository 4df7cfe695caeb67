"""Top-k searches (chunked, faiss) against a brute-force sort, exact ties included, and recalls equal to dense."""

from __future__ import annotations

import numpy as np
import pytest

from longbench.errors import UnknownNameError
from longbench.metrics.registry import DEFAULT_KS as KS
from longbench.metrics.retrieval import DENSE_LIMIT, recall_metrics, resolve_index, retrieval_ranks
from longbench.metrics.topk import SEARCHES, chunked_topk
from tests.metrics.helpers import unit


def with_duplicates(rng, n, d, copies):
    """Unit rows where every vector appears `copies` times at scattered places: exact ties everywhere."""
    base = unit(rng.normal(size=(n // copies + 1, d)))
    return base[rng.permutation(np.repeat(np.arange(len(base)), copies))[:n]]


def brute_topk(queries, gallery, k):
    # float64: numpy's float32 matmul can round two identical columns differently (seen here), breaking a tie.
    scores = queries.astype(np.float64) @ gallery.T.astype(np.float64)
    return np.array([sorted(range(len(gallery)), key=lambda j: (-scores[q, j], j))[:k] for q in range(len(queries))])


@pytest.mark.parametrize("search", ["chunked", "faiss"])
@pytest.mark.parametrize("k,block,chunk", [(10, 1 << 20, 8192), (10, 37, 7), (3, 1, 1), (5, 50, 64)])
def test_topk_equals_brute_force_with_exact_ties(search, k, block, chunk):
    rng = np.random.default_rng(k + block)
    gallery = with_duplicates(rng, 61, 8, copies=4)
    queries = np.concatenate([unit(rng.normal(size=(20, 8))), gallery[:9]])  # some queries equal gallery rows
    kwargs = {"block_elements": block} | ({"gallery_chunk": chunk} if search == "chunked" else {})
    found = SEARCHES.get(search)(queries, gallery, k, **kwargs)
    assert found.indices.tolist() == brute_topk(queries, gallery, k).tolist()
    expected = np.take_along_axis(queries @ gallery.T, found.indices, 1)
    np.testing.assert_allclose(found.scores, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["chunked", "faiss"])
def test_a_tie_at_the_kth_place_falls_back_to_the_tie_rule(name):
    """40 identical items: any 26 of them may be proposed; the k chosen must still be the 10 lowest indices."""
    rng = np.random.default_rng(0)
    gallery = np.concatenate([unit(rng.normal(size=(5, 4))) * 0.1, np.tile(unit([[1, 1, 0, 0]]), (40, 1))])[::-1]
    gallery = np.ascontiguousarray(gallery)
    query = unit([[1, 1, 0, 0]])
    found = SEARCHES.get(name)(query, gallery, 10)
    assert found.indices[0].tolist() == list(range(10))


def test_k_beyond_the_gallery_and_empty_inputs():
    rng = np.random.default_rng(1)
    gallery, queries = unit(rng.normal(size=(3, 4))), unit(rng.normal(size=(5, 4)))
    for name in ("chunked", "faiss"):
        found = SEARCHES.get(name)(queries, gallery, 10)
        assert found.indices.tolist() == brute_topk(queries, gallery, 3).tolist()
        assert SEARCHES.get(name)(queries[:0], gallery, 10).indices.shape == (0, 3)
    assert chunked_topk(queries, gallery[:0], 10).indices.shape == (5, 0)


@pytest.mark.parametrize("index", ["chunked", "faiss"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recalls_equal_the_dense_ranks_with_one_to_many_captions(index, seed):
    rng = np.random.default_rng(seed)
    n_img = 40
    images = with_duplicates(rng, n_img, 6, copies=3)
    per_image = rng.integers(1, 6, size=n_img)  # 1..5 captions per image, shuffled
    gt = rng.permutation(np.repeat(np.arange(n_img), per_image))
    texts = unit(np.round(rng.normal(size=(len(gt), 6)), 0) + 1e-3)  # quantised: exact caption ties
    texts[::7] = images[gt[::7]]  # captions equal to their image (and to its duplicates)
    dense = retrieval_ranks(images, texts, gt)
    top = retrieval_ranks(images, texts, gt, index=index, k=max(KS))
    assert recall_metrics(top) == recall_metrics(dense)
    cap = max(KS)
    for name in ("i2t", "t2i", "pair_i2t"):
        assert np.minimum(getattr(top, name), cap).tolist() == np.minimum(getattr(dense, name), cap).tolist(), name


def test_auto_falls_back_to_chunked_without_faiss(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert resolve_index("auto", DENSE_LIMIT + 1) == "chunked"


def test_auto_and_unknown_index():
    rng = np.random.default_rng(3)
    images, texts = unit(rng.normal(size=(5, 4))), unit(rng.normal(size=(5, 4)))
    auto = retrieval_ranks(images, texts, np.arange(5), index="auto")
    assert auto.t2i.tolist() == retrieval_ranks(images, texts, np.arange(5)).t2i.tolist()
    assert resolve_index("auto", DENSE_LIMIT) == "dense" and resolve_index("auto", DENSE_LIMIT + 1) == "faiss"
    assert resolve_index("chunked", 1) == "chunked"
    with pytest.raises(UnknownNameError, match="unknown index 'fiass'; did you mean faiss"):
        retrieval_ranks(images, texts, np.arange(5), index="fiass")
