"""Image-caption selection: each item's outcome under its task's rule, from its similarity scores; the shares of
items, macro averages, per-label breakdowns and bootstrap intervals over items. Pure numpy.

A rule reads an item's scores and says, per metric, whether the item is right, and whether one of the comparisons
it made met an exact tie. Each rule decides a tie as its benchmark's authors' code does (docs/compositional.md):

- `first_strict` (SugarCrepe `main_eval.py`: `1 if pos_score > neg_score else 0`; ARO VG-Relation/Attribution:
  `argmax([false, true]) == 1`; `pairs:` files): the first caption must score strictly above every other one.
- `first_argmax` (ARO COCO/Flickr30k-Order: `argmax(scores) == 0`, the true caption first): a tie with the true
  caption counts as right, as numpy's argmax picks the first maximum.
- `winoground` (the paper's text, image and group scores, strict `>` as in its definitions).
- `sugarcrepe_pp` (Sri-Harsha/scpp `test_Variants_CLIP.py`: ITT `cos_p1 > cos_neg and cos_p2 > cos_neg`, TOT
  `cos_p1p2 > cos_p1_neg and cos_p1p2 > cos_p2_neg`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..datasets import Macro
from ..kinds import ITEMS, TIES
from ..registry import Registry
from .bootstrap import bootstrap_ci
from .registry import GROUP_SCORE, IMAGE_SCORE, ITT_ACC, PRECISION1, TEXT_ACC, TEXT_SCORE, TOT_ACC


@dataclass(frozen=True)
class ItemScores:
    #: [N, k, m]: the score of item n's image a with its caption b; -inf where an item has fewer captions.
    image_text: np.ndarray
    #: [N, m, m]: the cosine of item n's captions a and b, for rules that compare captions (else None).
    text_text: np.ndarray | None = None


@dataclass(frozen=True)
class Outcomes:
    #: Metric name -> bool [N]: whether each item is right.
    correct: dict[str, np.ndarray]
    #: bool [N]: whether the item's rule met an exact tie in one of its comparisons.
    ties: np.ndarray


@dataclass(frozen=True)
class Rule:
    name: str
    #: Images and captions per item: (k, m); m = None for any number of captions (>= 2).
    shape: tuple[int, int | None]
    outcomes: Callable[[ItemScores], Outcomes]
    #: Whether the rule needs the captions' cosines with each other (ItemScores.text_text).
    text_pairs: bool = False


RULES: Registry[Rule] = Registry("selection rule")


def _first_vs_rest(scores: ItemScores) -> tuple[np.ndarray, np.ndarray]:
    """(the first caption's score, the best other caption's score) per item, for its one image."""
    s = scores.image_text[:, 0, :]
    return s[:, 0], s[:, 1:].max(axis=1)


def _first_strict(scores: ItemScores) -> Outcomes:
    first, best_other = _first_vs_rest(scores)
    return Outcomes({TEXT_ACC.name: first > best_other}, first == best_other)


def _first_argmax(scores: ItemScores) -> Outcomes:
    first, best_other = _first_vs_rest(scores)
    return Outcomes({PRECISION1.name: first >= best_other}, first == best_other)


def _winoground(scores: ItemScores) -> Outcomes:
    s = scores.image_text  # s[:, i, c]: image i with caption c
    comparisons = ((s[:, 0, 0], s[:, 0, 1]), (s[:, 1, 1], s[:, 1, 0]),  # text score: each image's own caption
                   (s[:, 0, 0], s[:, 1, 0]), (s[:, 1, 1], s[:, 0, 1]))  # image score: each caption's own image
    wins = [a > b for a, b in comparisons]
    text, image = wins[0] & wins[1], wins[2] & wins[3]
    ties = np.logical_or.reduce([a == b for a, b in comparisons])
    return Outcomes({TEXT_SCORE.name: text, IMAGE_SCORE.name: image, GROUP_SCORE.name: text & image}, ties)


def _sugarcrepe_pp(scores: ItemScores) -> Outcomes:
    s, t = scores.image_text[:, 0, :], scores.text_text  # captions: p1, p2, negative
    image = ((s[:, 0], s[:, 2]), (s[:, 1], s[:, 2]))
    text = ((t[:, 0, 1], t[:, 0, 2]), (t[:, 0, 1], t[:, 1, 2]))
    ties = np.logical_or.reduce([a == b for a, b in (*image, *text)])
    return Outcomes({ITT_ACC.name: np.logical_and.reduce([a > b for a, b in image]),
                     TOT_ACC.name: np.logical_and.reduce([a > b for a, b in text])}, ties)


for _rule in (Rule("first_strict", (1, None), _first_strict), Rule("first_argmax", (1, 5), _first_argmax),
              Rule("winoground", (2, 2), _winoground), Rule("sugarcrepe_pp", (1, 3), _sugarcrepe_pp, True)):
    RULES.add(_rule.name, _rule)


def item_scores(image_rows: np.ndarray, text_rows: np.ndarray, item_images: np.ndarray, item_texts: np.ndarray,
                text_means: np.ndarray | None = None) -> ItemScores:
    """Each item's scores from the rows of its distinct images and captions (dot product = the model's score);
    `text_means` (normalised) gives the captions' cosines with each other where a rule needs them."""
    images = image_rows[item_images]  # [N, k, D]
    padded = item_texts < 0
    texts = text_rows[np.where(padded, 0, item_texts)]  # [N, m, D]
    image_text = np.einsum("nkd,nmd->nkm", images, texts)
    image_text[np.broadcast_to(padded[:, None, :], image_text.shape)] = -np.inf
    text_text = None
    if text_means is not None:
        means = text_means[np.where(padded, 0, item_texts)]
        text_text = np.einsum("nad,nbd->nab", means, means)
    return ItemScores(image_text, text_text)


def share(correct: np.ndarray) -> float:
    """Percent of items right."""
    return 100.0 * float(np.mean(correct))


def macro_average(correct: np.ndarray, labels: Sequence[str], macro: Macro) -> float | None:
    """The mean over the kept label groups of each group's percent right (None when no group is kept)."""
    means = [share(correct[rows]) for rows in kept_groups(labels, macro).values()]
    return float(np.mean(means)) if means else None


def kept_groups(labels: Sequence[str], macro: Macro) -> dict[str, np.ndarray]:
    """Each label's item rows, in sorted label order (np.unique's, as the authors' loop), the macro's exclusions
    and small groups left out."""
    array = np.asarray(labels)
    groups = {str(label): np.flatnonzero(array == label) for label in np.unique(array)}
    return {label: rows for label, rows in groups.items()
            if label not in macro.exclude and len(rows) >= macro.min_items}


def selection_metrics(outcomes: Outcomes, labels: Mapping[str, Sequence[str]],
                      macros: Mapping[str, Macro]) -> dict[str, float]:
    """Each rule metric's percent right, and each macro average that keeps a group (one that keeps none, as on a
    small `--limit` subset, is left out)."""
    metrics = {name: share(correct) for name, correct in outcomes.correct.items()}
    for name, macro in macros.items():
        value = macro_average(outcomes.correct[macro.metric], labels[macro.label], macro)
        if value is not None:
            metrics[name] = value
    return metrics


def breakdowns(outcomes: Outcomes, labels: Mapping[str, Sequence[str]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per label key, per label: each metric's percent right, the items and the exact ties of that label's items."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for key, values in labels.items():
        array = np.asarray(values)
        out[key] = {}
        for label in np.unique(array):
            rows = array == label
            row: dict[str, float] = {name: share(correct[rows]) for name, correct in outcomes.correct.items()}
            row.update({ITEMS: int(rows.sum()), TIES: int(outcomes.ties[rows].sum())})
            out[key][str(label)] = row
    return out


def selection_ci(outcomes: Outcomes, labels: Mapping[str, Sequence[str]], macros: Mapping[str, Macro],
                 samples: int, seed: int) -> dict[str, list[float]]:
    """95% percentile intervals from resampling items with replacement (the same resamples for every metric)."""
    ci = {name: bootstrap_ci(correct.astype(np.float64), samples, seed) for name, correct in outcomes.correct.items()}
    for name, macro in macros.items():
        groups = kept_groups(labels[macro.label], macro)
        if groups:
            ci[name] = _macro_ci(outcomes.correct[macro.metric], list(groups.values()), samples, seed)
    return ci


def _macro_ci(correct: np.ndarray, groups: list[np.ndarray], samples: int, seed: int) -> list[float]:
    """The macro average over resampled items, over the groups the full data keeps (a group a resample leaves empty
    drops out of that resample's mean)."""
    group_of = np.full(len(correct), len(groups), dtype=np.int64)  # len(groups): an item outside every kept group
    for g, rows in enumerate(groups):
        group_of[rows] = g
    rng = np.random.default_rng(seed)
    values = np.empty(samples)
    for s in range(samples):
        idx = rng.integers(0, len(correct), len(correct))
        sizes = np.bincount(group_of[idx], minlength=len(groups) + 1)[:-1]
        hits = np.bincount(group_of[idx], weights=correct[idx], minlength=len(groups) + 1)[:-1]
        values[s] = 100.0 * np.mean(hits[sizes > 0] / sizes[sizes > 0])
    low, high = np.quantile(values, [0.025, 0.975])
    return [float(low), float(high)]
