"""The class-stratified sample behind `--limit` for classification tasks."""

from __future__ import annotations

import numpy as np

from longbench.tasks.stratified_limit import stratified_sample


def test_stratified_sample_is_balanced_and_deterministic():
    labels = np.repeat(np.arange(4), [50, 30, 3, 17])
    idx = stratified_sample(labels, 20)
    assert len(idx) == 20 and len(set(idx)) == 20 and list(idx) == sorted(idx)
    # 5 each, except class 2 which has only 3: its 2 spare go to other classes.
    counts = np.bincount(labels[idx], minlength=4)
    assert counts[2] == 3 and sorted(counts[[0, 1, 3]]) == [5, 6, 6]
    np.testing.assert_array_equal(idx, stratified_sample(labels, 20))
    assert not np.array_equal(idx, stratified_sample(labels, 20, seed=1))


def test_stratified_sample_remainder_and_edges():
    labels = np.repeat(np.arange(10), 10)
    counts = np.bincount(labels[stratified_sample(labels, 7)], minlength=10)
    assert sorted(counts) == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    assert len(stratified_sample(labels, 1000)) == 100
    assert len(stratified_sample(labels, 0)) == 0
