"""Percentile bootstrap over queries: a 95% interval for a metric that is a mean of per-query scores."""

from __future__ import annotations

import numpy as np

from ..errors import DataError

#: The most resamples accepted. 1,000 is the usual choice; 10,000 already takes minutes on a 25k-caption task and
#: moves an interval's bounds by less than 0.1 point, so more is almost certainly a typo.
MAX_BOOTSTRAP = 10_000


def check_bootstrap(samples: int, seed: int) -> None:
    """Reject a bootstrap setting before any encoding (0 samples = no intervals)."""
    if not 0 <= samples <= MAX_BOOTSTRAP:
        raise DataError(f"--bootstrap {samples}: expected a number of resamples from 0 (off) to {MAX_BOOTSTRAP:,}")
    if seed < 0:
        raise DataError(f"--seed {seed}: expected an integer >= 0")


def bootstrap_ci(per_query: np.ndarray, samples: int, seed: int = 0, level: float = 0.95,
                 scale: float = 100.0, statistic=np.mean) -> list[float]:
    """[low, high] of `scale * statistic(per_query)` (the mean, or e.g. np.median) over `samples` resamples of the
    queries with replacement."""
    values = np.asarray(per_query, dtype=np.float64)
    if samples < 1 or values.size == 0:
        raise ValueError("bootstrap needs at least one sample and one query")
    rng = np.random.default_rng(seed)
    means = np.empty(samples)
    # Resample in chunks: samples x n indices at once would be gigabytes for 25k captions x 1000 samples.
    chunk = max(1, 4_000_000 // values.size)
    for start in range(0, samples, chunk):
        n = min(chunk, samples - start)
        idx = rng.integers(0, values.size, size=(n, values.size))
        means[start:start + n] = statistic(values[idx], axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return [float(scale * low), float(scale * high)]
