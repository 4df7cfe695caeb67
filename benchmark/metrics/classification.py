"""Zero-shot classification metrics (docs/protocols.md, "Classification"), from logits and labels only, in percent.

Everything is derived from two per-image numbers, so that logits [N, C] are scanned once (in chunks) and the
bootstrap resamples N-vectors instead of re-sorting logits:

- rank: how many classes rank above the true class (0 = top-1);
- prediction: the top-1 class.

Ties are broken by class index, lower first: a class tied with the true class counts above it only if its index is
lower, and the prediction is the lowest-index maximum (what `argmax` returns). The result is deterministic and does
not depend on the sort algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .registry import ACC1, ACC5, MEAN_PER_CLASS_RECALL


@dataclass
class Ranked:
    """Per-image outcome of classification: the rank of the true class and the top-1 prediction."""

    ranks: np.ndarray
    predictions: np.ndarray
    labels: np.ndarray
    n_classes: int


def rank_logits(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rank of the true class, top-1 class) for each row of `logits` [N, C]; ties broken by class index."""
    logits = np.asarray(logits)
    labels = np.asarray(labels, dtype=np.int64)
    rows = np.arange(len(labels))
    true = logits[rows, labels][:, None]
    lower_index = np.arange(logits.shape[1])[None, :] < labels[:, None]
    ranks = (logits > true).sum(axis=1) + ((logits == true) & lower_index).sum(axis=1)
    return ranks.astype(np.int64), logits.argmax(axis=1).astype(np.int64)


def mean_per_class_recall(labels: np.ndarray, predictions: np.ndarray) -> float:
    """Mean over the classes present in `labels` of their recall, in percent (= sklearn balanced_accuracy_score)."""
    labels = np.asarray(labels, dtype=np.int64)
    size = int(max(labels.max(), np.max(predictions))) + 1
    support = np.bincount(labels, minlength=size)
    hits = np.bincount(labels[labels == predictions], minlength=size)
    present = support > 0
    return float(100.0 * np.mean(hits[present] / support[present]))


def classification_metrics(ranked: Ranked) -> dict[str, float]:
    """acc1, acc5 (only with >= 5 classes) and mean_per_class_recall, in percent."""
    if len(ranked.labels) == 0:
        raise ValueError("no images to score")
    metrics = {ACC1.name: float(100.0 * np.mean(ranked.ranks < 1))}
    if ranked.n_classes >= 5:
        metrics[ACC5.name] = float(100.0 * np.mean(ranked.ranks < 5))
    metrics[MEAN_PER_CLASS_RECALL.name] = mean_per_class_recall(ranked.labels, ranked.predictions)
    return metrics


def classification_ci(ranked: Ranked, samples: int, seed: int = 0, level: float = 0.95) -> dict[str, list[float]]:
    """Percentile bootstrap intervals over images: resample N images with replacement `samples` times."""
    rng = np.random.default_rng(seed)
    n = len(ranked.labels)
    draws: dict[str, list[float]] = {}
    for _ in range(samples):
        idx = rng.integers(0, n, size=n)
        sample = Ranked(ranked.ranks[idx], ranked.predictions[idx], ranked.labels[idx], ranked.n_classes)
        for key, value in classification_metrics(sample).items():
            draws.setdefault(key, []).append(value)
    tail = 100.0 * (1.0 - level) / 2.0
    return {key: [float(np.percentile(v, tail)), float(np.percentile(v, 100.0 - tail))] for key, v in draws.items()}
