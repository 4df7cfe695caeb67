"""Classification metrics against independent computations (argsort by hand, scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, top_k_accuracy_score

from longbench.metrics.classification import (
    Ranked,
    classification_ci,
    classification_metrics,
    mean_per_class_recall,
    rank_logits,
)


def _ranked(logits: np.ndarray, labels: np.ndarray) -> Ranked:
    ranks, preds = rank_logits(logits, labels)
    return Ranked(ranks, preds, labels, logits.shape[1])


def test_metrics_match_numpy_and_sklearn():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(300, 12)).astype(np.float32)
    labels = rng.integers(0, 12, size=300)
    logits[np.arange(150), labels[:150]] += 1.5  # better than chance
    got = classification_metrics(_ranked(logits, labels))
    top5 = np.argsort(-logits, axis=1)[:, :5]
    assert got["acc1"] == pytest.approx(100 * np.mean(logits.argmax(1) == labels))
    assert got["acc5"] == pytest.approx(100 * np.mean((top5 == labels[:, None]).any(1)))
    assert got["acc5"] == pytest.approx(100 * top_k_accuracy_score(labels, logits, k=5, labels=np.arange(12)))
    assert got["mean_per_class_recall"] == pytest.approx(100 * balanced_accuracy_score(labels, logits.argmax(1)))


def test_mean_per_class_recall_counts_only_classes_present():
    labels = np.array([0, 0, 0, 2])
    preds = np.array([0, 1, 1, 2])  # class 1 is predicted but never a label
    expected = 100 * (1 / 3 + 1) / 2
    assert mean_per_class_recall(labels, preds) == pytest.approx(expected)
    with pytest.warns(UserWarning):  # sklearn warns about the predicted-only class, and agrees
        assert 100 * balanced_accuracy_score(labels, preds) == pytest.approx(expected)


def test_ties_go_to_the_lower_class_index():
    logits = np.array([[1.0, 1.0, 0.0, 1.0, 0.0, 0.0]] * 3)
    labels = np.array([0, 1, 3])
    ranks, preds = rank_logits(logits, labels)
    assert list(ranks) == [0, 1, 2] and list(preds) == [0, 0, 0]


def test_acc5_is_omitted_below_five_classes():
    logits = np.eye(4)
    assert set(classification_metrics(_ranked(logits, np.arange(4)))) == {"acc1", "mean_per_class_recall"}


def test_bootstrap_interval_is_deterministic_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(200, 6))
    labels = rng.integers(0, 6, size=200)
    ranked = _ranked(logits, labels)
    ci = classification_ci(ranked, samples=200, seed=3)
    point = classification_metrics(ranked)
    assert set(ci) == set(point)
    for key, (low, high) in ci.items():
        assert low <= point[key] <= high and low < high
    assert ci == classification_ci(ranked, samples=200, seed=3)
    assert ci != classification_ci(ranked, samples=200, seed=4)


def test_empty_input_is_refused():
    with pytest.raises(ValueError):
        classification_metrics(Ranked(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), 3))
