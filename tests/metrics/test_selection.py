"""The selection rules against computations written from each benchmark's definition, one item at a time, with
exact ties; macro averages, breakdowns and the item bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from longbench.datasets import Macro
from longbench.metrics.selection import (
    RULES,
    ItemScores,
    breakdowns,
    item_scores,
    selection_ci,
    selection_metrics,
)


def _grid_scores(rng: np.random.Generator, n: int, k: int, m: int) -> np.ndarray:
    """Scores on a coarse grid, so that many comparisons are exact ties."""
    return rng.integers(0, 3, size=(n, k, m)).astype(np.float32) / 4


def test_first_strict_is_sugarcrepe_main_eval_a_tie_wrong():
    scores = _grid_scores(np.random.default_rng(0), 300, 1, 3)
    out = RULES.get("first_strict").outcomes(ItemScores(scores))
    # main_eval.py: `1 if pos_score.item() > neg_score.item() else 0`, against every negative.
    expected = [all(s[0, 0] > s[0, j] for j in range(1, 3)) for s in scores]
    ties = [max(s[0, 1:]) == s[0, 0] for s in scores]
    assert out.correct["text_acc"].tolist() == expected
    assert out.ties.tolist() == ties and any(ties)


def test_first_argmax_is_aro_order_a_tie_right():
    scores = _grid_scores(np.random.default_rng(1), 300, 1, 5)
    out = RULES.get("first_argmax").outcomes(ItemScores(scores))
    # aro_datasets.py: `preds = np.argmax(scores, axis=-1); correct_mask = (preds == 0)`.
    assert out.correct["precision1"].tolist() == (np.argmax(scores[:, 0, :], axis=-1) == 0).tolist()
    assert out.ties.any() and out.correct["precision1"][out.ties].all()


def test_first_strict_is_aro_vg_argmax_over_false_then_true():
    scores = _grid_scores(np.random.default_rng(2), 300, 1, 2)  # [true, false] here
    out = RULES.get("first_strict").outcomes(ItemScores(scores))
    authors = np.argmax(scores[:, :, ::-1].squeeze(1), axis=-1) == 1  # their options are [false, true]
    assert out.correct["text_acc"].tolist() == authors.tolist()


def test_winoground_scores_as_the_paper_defines_them():
    scores = _grid_scores(np.random.default_rng(3), 400, 2, 2)  # [item, image, caption]
    out = RULES.get("winoground").outcomes(ItemScores(scores))
    for n, s in enumerate(scores):
        def sim(c, i, s=s):
            return s[i, c]
        text = sim(0, 0) > sim(1, 0) and sim(1, 1) > sim(0, 1)
        image = sim(0, 0) > sim(0, 1) and sim(1, 1) > sim(1, 0)
        assert out.correct["text_score"][n] == text
        assert out.correct["image_score"][n] == image
        assert out.correct["group_score"][n] == (text and image)
        assert out.ties[n] == (sim(0, 0) in (sim(1, 0), sim(0, 1)) or sim(1, 1) in (sim(0, 1), sim(1, 0)))
    assert out.ties.any()


def test_sugarcrepe_pp_is_the_authors_itt_and_tot():
    rng = np.random.default_rng(4)
    image_text = _grid_scores(rng, 300, 1, 3)  # captions: p1, p2, negative
    text_text = rng.integers(0, 3, size=(300, 3, 3)).astype(np.float32) / 4
    text_text = (text_text + text_text.transpose(0, 2, 1)) / 2
    out = RULES.get("sugarcrepe_pp").outcomes(ItemScores(image_text, text_text))
    for n in range(300):
        cos_p1, cos_p2, cos_neg = image_text[n, 0]
        cos_p1p2, cos_p1_neg, cos_p2_neg = text_text[n, 0, 1], text_text[n, 0, 2], text_text[n, 1, 2]
        assert out.correct["itt_acc"][n] == (cos_p1 > cos_neg and cos_p2 > cos_neg)
        assert out.correct["tot_acc"][n] == (cos_p1p2 > cos_p1_neg and cos_p1p2 > cos_p2_neg)
    assert out.ties.any()


def test_item_scores_are_dot_products_and_padding_never_wins():
    rng = np.random.default_rng(5)
    images, texts = rng.normal(size=(4, 8)), rng.normal(size=(6, 8))
    item_images = np.array([[0], [3]])
    item_texts = np.array([[1, 2, -1], [5, 0, 4]])
    scores = item_scores(images, texts, item_images, item_texts, texts)
    assert scores.image_text[0, 0, 0] == pytest.approx(images[0] @ texts[1])
    assert scores.image_text[1, 0, 2] == pytest.approx(images[3] @ texts[4])
    assert scores.image_text[0, 0, 2] == -np.inf
    assert scores.text_text[1, 0, 1] == pytest.approx(texts[5] @ texts[0])


def test_macro_average_is_the_mean_of_the_kept_groups_means():
    correct = np.array([1, 0, 1, 1, 0, 0, 1, 1], dtype=bool)
    labels = ["on", "on", "by", "by", "by", "under", "under", "under"]
    outcomes = RULES.get("first_strict").outcomes(ItemScores(np.zeros((8, 1, 2))))
    outcomes.correct["text_acc"][:] = correct
    macros = {"macro_acc": Macro("relation", "text_acc", exclude=frozenset({"by"}))}
    metrics = selection_metrics(outcomes, {"relation": labels}, macros)
    assert metrics["macro_acc"] == pytest.approx((50.0 + 200 / 3) / 2)  # "on" 1/2, "under" 2/3; "by" left out
    assert metrics["text_acc"] == pytest.approx(62.5)
    small = {"macro_acc": Macro("relation", "text_acc", min_items=3)}
    assert selection_metrics(outcomes, {"relation": labels}, small)["macro_acc"] == pytest.approx((200 / 3 + 200 / 3)
                                                                                                  / 2)
    none_kept = {"macro_acc": Macro("relation", "text_acc", min_items=25)}
    assert "macro_acc" not in selection_metrics(outcomes, {"relation": labels}, none_kept)
    table = breakdowns(outcomes, {"relation": labels})["relation"]
    assert table["under"] == {"text_acc": pytest.approx(200 / 3), "items": 3, "exact_ties": 3}


def test_bootstrap_resamples_items_and_brackets_the_value():
    rng = np.random.default_rng(6)
    outcomes = RULES.get("winoground").outcomes(ItemScores(rng.normal(size=(200, 2, 2))))
    labels = {"tag": [str(i % 3) for i in range(200)]}
    macros = {"macro_acc": Macro("tag", "text_score")}
    ci = selection_ci(outcomes, labels, macros, 300, seed=1)
    metrics = selection_metrics(outcomes, labels, macros)
    for name, (low, high) in ci.items():
        assert low <= metrics[name] <= high, name
    assert ci == selection_ci(outcomes, labels, macros, 300, seed=1)
    assert ci != selection_ci(outcomes, labels, macros, 300, seed=2)
