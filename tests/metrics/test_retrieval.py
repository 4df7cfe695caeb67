"""hit@K recall against hand-built answers (ties, several captions per image) and a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from longbench.metrics.bootstrap import bootstrap_ci
from longbench.metrics.retrieval import recall_metrics, retrieval_ranks
from tests.metrics.helpers import unit
from tests.reference_metrics import brute_force


def test_hand_built_one_to_one():
    images = unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    # caption 0 -> its image best; caption 1 -> image 0 best, its own second; caption 2 -> own image last
    texts = unit([[1, 0.1, 0], [0.9, 0.5, 0], [0.5, 0.4, 0.1]])
    ranks = retrieval_ranks(images, texts, np.array([0, 1, 2]))
    assert ranks.t2i.tolist() == [0, 1, 2]
    m = recall_metrics(ranks, ks=(1, 2))
    assert m["t2i_r1"] == pytest.approx(100 / 3) and m["t2i_r2"] == pytest.approx(200 / 3)


def test_ties_go_to_the_lower_index():
    images = unit([[1, 0], [1, 0], [0, 1]])  # images 0 and 1 identical
    texts = unit([[1, 0], [1, 0]])
    ranks = retrieval_ranks(images, texts, np.array([0, 1]))
    # caption 0's image wins the tie (index 0 < 1); caption 1's image loses it
    assert ranks.t2i.tolist() == [0, 1]
    # image 0 and image 1 see captions 0 and 1 tied: caption 0 ranks first
    assert ranks.i2t[:2].tolist() == [0, 1]


def test_any_caption_counts_for_image_to_text():
    images = unit([[1, 0], [0, 1]])
    texts = unit([[0.2, 1], [1, 0], [0.1, 1], [0.3, 1]])  # captions 0,1 -> image 0; 2,3 -> image 1
    gt = np.array([0, 0, 1, 1])
    ranks = retrieval_ranks(images, texts, gt)
    # image 0: caption 1 is its best overall -> rank 0 although caption 0 ranks last
    assert ranks.i2t.tolist()[0] == 0
    # image 1: caption 2 (0.1,1) is closest -> rank 0
    assert ranks.i2t.tolist()[1] == 0
    assert recall_metrics(ranks, ks=(1,))["i2t_r1"] == 100.0


@pytest.mark.parametrize("seed,block", [(0, 7), (1, 1 << 20), (2, 100), (3, 1)])
def test_matches_brute_force_on_random_embeddings(seed, block):
    rng = np.random.default_rng(seed)
    n_img, per = 23, 3
    images = unit(rng.normal(size=(n_img, 6)))
    # quantised embeddings make exact ties common
    texts = unit(np.round(rng.normal(size=(n_img * per, 6)), 0) + 1e-3)
    gt = np.repeat(np.arange(n_img), per)
    ranks = retrieval_ranks(images, texts, gt, block_elements=block)
    metrics = recall_metrics(ranks)
    for k in (1, 5, 10):
        i2t, t2i = brute_force(images, texts, gt, k)
        assert metrics[f"i2t_r{k}"] == pytest.approx(i2t)
        assert metrics[f"t2i_r{k}"] == pytest.approx(t2i)


def test_ground_truth_outside_the_image_list_is_refused():
    with pytest.raises(ValueError, match="outside the image list"):
        retrieval_ranks(unit([[1, 0]]), unit([[1, 0]]), np.array([3]))


def test_bootstrap_interval_contains_the_estimate_and_is_seeded():
    hits = np.r_[np.ones(30), np.zeros(70)]
    low, high = bootstrap_ci(hits, samples=500, seed=1)
    assert low < 30 < high and low > 15 and high < 45
    assert bootstrap_ci(hits, samples=500, seed=1) == [low, high]
    assert bootstrap_ci(np.ones(10), samples=50) == [100.0, 100.0]


@pytest.mark.parametrize("block", [1, 37, 1 << 20])
def test_uneven_shuffled_captions_and_pair_ranks(block):
    rng = np.random.default_rng(7)
    n_img = 15
    gt = np.concatenate([np.arange(n_img), rng.integers(0, n_img, size=25)])  # every image >= 1 caption
    rng.shuffle(gt)
    # Small integers, not unit vectors: every dot product is exact in float32 whatever the summation order (a BLAS
    # kernel's choice, which differs per CPU and block shape), so mathematically equal scores are exact ties.
    images = np.round(2 * rng.normal(size=(n_img, 4))).astype(np.float32)
    texts = np.round(2 * rng.normal(size=(len(gt), 4))).astype(np.float32)
    ranks = retrieval_ranks(images, texts, gt, block_elements=block)
    sims = images @ texts.T
    for t, i in enumerate(gt):
        order = sorted(range(len(texts)), key=lambda u: (-sims[i, u], u))
        assert ranks.pair_i2t[t] == order.index(t)
    for i in range(n_img):
        assert ranks.i2t[i] == min(ranks.pair_i2t[gt == i])
    for k in (1, 5, 10):
        i2t, t2i = brute_force(images, texts, gt, k)
        assert recall_metrics(ranks)[f"i2t_r{k}"] == pytest.approx(i2t)
        assert recall_metrics(ranks)[f"t2i_r{k}"] == pytest.approx(t2i)
