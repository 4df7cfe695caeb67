"""Image-caption selection (SugarCrepe, SugarCrepe++, Winoground, ARO, `pairs:` files): encode every distinct image
and caption once, score each item under its task's rule (metrics/selection.py), and aggregate over the items."""

from __future__ import annotations

import time

import numpy as np

from ..adapters.core.scoring import scoring_of
from ..datasets import SelectionDataset
from ..encode import Encoder
from ..kinds import ITEMS, SELECTION, TIES
from ..metrics.selection import RULES, breakdowns, item_scores, selection_ci, selection_metrics
from .base import EvalOptions, Evaluation, register_evaluator
from .retrieval import truncation_report


@register_evaluator(SELECTION)
def evaluate_selection(encoder: Encoder, dataset: SelectionDataset, options: EvalOptions) -> Evaluation:
    timings: dict[str, float] = {}
    rule = RULES.get(dataset.rule)
    start = time.perf_counter()
    stream = encoder.start_images(dataset.images, dataset.image_ids, desc=f"{dataset.task} images")
    timings["start_images"] = time.perf_counter() - start

    start = time.perf_counter()
    texts = encoder.texts(dataset.texts, desc=f"{dataset.task} captions")
    timings["encode_texts"] = time.perf_counter() - start

    start = time.perf_counter()
    images = stream.collect()
    timings["encode_images"] = time.perf_counter() - start

    start = time.perf_counter()
    item_images, keep = _items_of_kept_images(dataset, images.kept)
    scoring = scoring_of(encoder.adapter)
    # The rows whose dot product is the model's image-caption score (adapters/core/scoring.py); captions compare
    # with each other by the cosine of their mean embeddings.
    image_rows, text_rows = scoring.ranking_pair(images.vectors, texts.vectors)
    text_means = _normalise(scoring.means(texts.vectors)) if rule.text_pairs else None
    outcomes = rule.outcomes(item_scores(image_rows, text_rows, item_images, dataset.item_texts[keep], text_means))
    labels = {key: [value for value, k in zip(values, keep, strict=True) if k]
              for key, values in dataset.labels.items()}
    metrics = selection_metrics(outcomes, labels, dataset.macros)
    ci = selection_ci(outcomes, labels, dataset.macros, options.bootstrap, options.seed) if options.bootstrap else {}
    timings["metrics"] = time.perf_counter() - start
    ties = int(outcomes.ties.sum())
    return Evaluation(
        metrics=metrics, ci=ci, truncation=truncation_report(texts), timings=timings, skipped=images.skipped,
        breakdowns=breakdowns(outcomes, labels),
        counts={ITEMS: int(keep.sum()), TIES: ties, "skipped_images": len(images.skipped),
                "items_of_skipped_images": int((~keep).sum())},
        warnings=_warnings(dataset, metrics, ties))


def _items_of_kept_images(dataset: SelectionDataset, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The items whose every image decoded, with image indices renumbered to the kept images' rows, and their mask."""
    remap = np.full(len(dataset.images), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    renumbered = remap[dataset.item_images]
    keep = (renumbered >= 0).all(axis=1)
    return renumbered[keep], keep


def _warnings(dataset: SelectionDataset, metrics: dict[str, float], ties: int) -> list[str]:
    out = []
    if ties:
        out.append(f"{dataset.task}: {ties} item(s) met an exact score tie, decided as the benchmark's authors' code "
                   "decides it (docs/compositional.md); CLIP_benchmark's argmax may decide it otherwise")
    out += [f"{dataset.task}: {name} left out: no group of {macro.label!r} has {macro.min_items} or more items here"
            for name, macro in dataset.macros.items() if name not in metrics]
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
