"""`--limit N` for classification tasks: a deterministic sample of N images, balanced over the classes present."""

from __future__ import annotations

import numpy as np


def stratified_sample(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of `n` images spread as evenly as possible over the classes in `labels`.

    Every class gets floor(n / k) images (or all it has, handing its unused share to the others); the remainder
    goes one image each to classes drawn with `seed`. Within a class, images are drawn with `seed` too, so the same
    data and n always give the same sample. n >= len(labels) keeps everything.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if n < 0:
        raise ValueError("limit must be >= 0")
    if n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.zeros_like(counts)
    remaining = n
    while remaining > 0:
        open_ = np.flatnonzero(quota < counts)
        share = remaining // len(open_)
        if share == 0:
            quota[rng.permutation(open_)[:remaining]] += 1
            break
        added = np.minimum(share, counts[open_] - quota[open_])
        quota[open_] += added
        remaining -= int(added.sum())
    picked = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota, strict=True) if q]
    return np.sort(np.concatenate(picked)) if picked else np.arange(0)


def apply_limit(images: list | np.ndarray, labels: np.ndarray, image_ids: list[str],
                limit: int | None) -> tuple[list | np.ndarray, np.ndarray, list[str]]:
    """The class-stratified subset of (images, labels, image_ids) for `--limit`; unchanged when limit is None."""
    if limit is None:
        return images, labels, image_ids
    idx = stratified_sample(labels, limit)
    kept = images[idx] if isinstance(images, np.ndarray) else [images[i] for i in idx]
    return kept, np.asarray(labels)[idx], [image_ids[i] for i in idx]
