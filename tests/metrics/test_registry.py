"""The metric registry: every metric an evaluator produces is declared there, once, with its range and names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from longbench.errors import UnknownNameError
from longbench.metrics.classification import Ranked, classification_metrics
from longbench.metrics.registry import (
    DEFAULT_KS,
    PERCENT,
    is_metric,
    metric,
    metric_order,
    metrics_of,
    recall_name,
)
from longbench.metrics.retrieval import retrieval_metrics, retrieval_ranks


def test_every_metric_the_computations_produce_is_registered_for_its_kind():
    images = np.eye(3, dtype=np.float32)
    ranks = retrieval_ranks(images, images, np.arange(3))
    ranked = Ranked(np.array([0, 2, 7]), np.array([1, 0, 3]), np.array([1, 2, 0]), n_classes=10)
    for kind, names in (("retrieval", retrieval_metrics(ranks)), ("classification", classification_metrics(ranked))):
        assert [m.name for m in metrics_of(kind)] == list(names)
        assert all(kind in metric(name).kinds for name in names)


def test_recall_exists_for_any_k_under_one_name_pattern():
    entry = metric("t2i_r50")
    assert (entry.name, entry.direction, entry.k, entry.label) == ("t2i_r50", "t2i", 50, "T2I R@50")
    assert entry.aliases["clip_benchmark"] == "image_retrieval_recall@50"  # CLIP_benchmark: image retrieval = T2I
    assert metric("i2t_r1").aliases["clip_benchmark"] == "text_retrieval_recall@1"
    assert recall_name("i2t", 7) == "i2t_r7" and is_metric("i2t_r7")
    assert not is_metric("i2t_r0") and not is_metric("i2t_r05")


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match=r"unknown metric 'acc2'.*acc1.*i2t_rK"):
        metric("acc2")


@pytest.mark.parametrize(("value", "problem"), [
    (50.0, None), (0, None), (100.0, None), (math.nan, None), (math.inf, None),
    (150.0, "percentage from 0 to 100"), (-5.0, "percentage from 0 to 100"), (True, "expected a number"),
    ("12", "expected a number"), (None, "expected a number"),
])
def test_values_are_checked_against_the_entry(value, problem):
    found = metric("i2t_r1").problem(value)
    assert (found is None) if problem is None else (problem in found)
    assert metric("acc1").scale == PERCENT


def test_order_is_declaration_order_then_recall_by_direction_and_k_then_the_rest():
    names = {"zzz", "acc1", "t2i_r50", "i2t_r10", "i2t_r1", "i2t_r20", "mean_per_class_recall", "t2i_r1"}
    assert metric_order(names) == ["i2t_r1", "i2t_r10", "t2i_r1", "acc1", "mean_per_class_recall", "i2t_r20",
                                   "t2i_r50", "zzz"]


def test_the_default_ks_are_the_headline_and_recall_tables():
    assert [m.name for m in metrics_of("retrieval") if m.headline] == ["i2t_r1", "t2i_r1"]
    assert DEFAULT_KS == (1, 5, 10)
