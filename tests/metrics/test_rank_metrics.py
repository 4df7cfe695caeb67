"""MRR, nDCG@10 and the median rank (and Recall@K for any K) against a brute-force computation from the
definitions, with ties and several captions per image; what a top-k search can and cannot give."""

from __future__ import annotations

import numpy as np
import pytest

from longbench.errors import DataError
from longbench.metrics.bootstrap import bootstrap_ci
from longbench.metrics.registry import parse_ks
from longbench.metrics.retrieval import retrieval_metrics, retrieval_ranks
from tests.reference_metrics import brute_force, brute_force_ranks


def _data(seed: int, n_img: int = 14, extra: int = 30):
    rng = np.random.default_rng(seed)
    gt = np.concatenate([np.arange(n_img), rng.integers(0, n_img, size=extra)])  # 1 to many captions per image
    rng.shuffle(gt)
    # Small integers: exact float32 dot products, so equal scores are exact ties whatever the BLAS kernel.
    images = np.round(1.5 * rng.normal(size=(n_img, 3))).astype(np.float32)
    texts = np.round(1.5 * rng.normal(size=(len(gt), 3))).astype(np.float32)
    return images, texts, gt


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_rank_metrics_equal_the_definitions_with_ties(seed):
    images, texts, gt = _data(seed)
    metrics = retrieval_metrics(retrieval_ranks(images, texts, gt))
    for name, value in brute_force_ranks(images, texts, gt).items():
        assert metrics[name] == pytest.approx(value, abs=1e-9), name


def test_recall_at_any_k_equals_brute_force():
    images, texts, gt = _data(5)
    metrics = retrieval_metrics(retrieval_ranks(images, texts, gt), ks=(2, 7, 50))
    for k in (2, 7, 50):
        i2t, t2i = brute_force(images, texts, gt, k)
        assert (metrics[f"i2t_r{k}"], metrics[f"t2i_r{k}"]) == (pytest.approx(i2t), pytest.approx(t2i))
    assert "i2t_r1" not in metrics


def test_a_median_of_an_even_count_is_the_mean_of_the_two_middle_ranks():
    images = np.eye(2, dtype=np.float32)
    texts = np.array([[1, 0], [1, 0]], dtype=np.float32)  # caption 1 (image 1) ranks image 0 first: rank 2
    metrics = retrieval_metrics(retrieval_ranks(images, texts, np.array([0, 1])))
    assert metrics["t2i_median_rank"] == 1.5 and metrics["t2i_mrr"] == pytest.approx(75.0)


def test_mrr_at_10_is_the_reciprocal_rank_cut_at_10_not_the_full_mrr():
    """mteb's mrr_at_10: a first relevant item below rank 10 scores 0 (the full MRR counts 1/12)."""
    images = np.eye(12, dtype=np.float32)
    texts = np.array([[1.0] * 11 + [0.0]], dtype=np.float32)  # its image (11) ties last: rank 12
    metrics = retrieval_metrics(retrieval_ranks(images, texts, np.array([11])))
    assert metrics["t2i_mrr"] == pytest.approx(100 / 12) and metrics["t2i_mrr10"] == 0.0


@pytest.mark.parametrize("index", ["chunked", "faiss"])
def test_a_top_k_search_gives_ndcg_and_recall_but_not_mrr_or_the_median(index):
    pytest.importorskip("faiss") if index == "faiss" else None
    images, texts, gt = _data(7, n_img=30, extra=40)
    dense = retrieval_metrics(retrieval_ranks(images, texts, gt))
    top = retrieval_metrics(retrieval_ranks(images, texts, gt, index=index, k=10))
    assert set(dense) - set(top) == {"i2t_mrr", "t2i_mrr", "i2t_median_rank", "t2i_median_rank"}
    assert all(top[name] == pytest.approx(dense[name]) for name in top)


def test_the_median_rank_has_a_bootstrap_interval():
    low, high = bootstrap_ci(np.array([1.0, 2, 3, 50, 60]), samples=200, seed=0, scale=1.0, statistic=np.median)
    assert 1.0 <= low <= 3.0 <= high <= 60.0


@pytest.mark.parametrize(("text", "ks"), [("1,5,10", (1, 5, 10)), ("50, 1,5,5", (1, 5, 50)), ((10, 1), (1, 10))])
def test_recall_k_parsing(text, ks):
    assert parse_ks(text) == ks


@pytest.mark.parametrize("text", ["", "0", "1,x", "-1", "1.5", (True,)])
def test_bad_recall_k_is_one_line(text):
    with pytest.raises(DataError, match="--recall-k .*expected comma-separated whole numbers >= 1"):
        parse_ks(text)
