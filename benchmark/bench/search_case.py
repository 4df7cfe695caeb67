"""One retrieval case of the scale section in a fresh process: `python -m longbench.bench.search_case QxG:INDEX`.

A process of its own makes the peak resident memory (ru_maxrss: embeddings, torch and the search together) the
case's own. Embeddings are random unit vectors (D=512); each caption is its image plus noise, so recalls are
neither 0 nor 100. Prints one JSON line: wall and CPU seconds of the ranking, peak MiB and T2I R@1.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

DIM = 512


def unit_rows(rng: np.random.Generator, n: int, base: np.ndarray | None = None, noise: float = 1.0) -> np.ndarray:
    """n float32 unit rows, made a block at a time (no float64 copy of the whole matrix)."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 65536):
        rows = rng.standard_normal((min(65536, n - start), DIM), dtype=np.float32)
        if base is not None:
            rows = base[np.arange(start, start + len(rows)) % len(base)] + noise * rows / np.sqrt(DIM)
        out[start:start + len(rows)] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def measure(queries: int, gallery: int, index: str) -> dict[str, float]:
    """Recall of `queries` captions over `gallery` images (both directions) with `index`, in this process."""
    from ..metrics.registry import T2I, recall_name
    from ..metrics.retrieval import recall_metrics, retrieval_ranks

    rng = np.random.default_rng(0)
    images = unit_rows(rng, gallery)
    texts = unit_rows(rng, queries, base=images, noise=8.0)
    gt = np.arange(queries) % gallery
    start, cpu = time.perf_counter(), cpu_seconds()
    metrics = recall_metrics(retrieval_ranks(images, texts, gt, index=index))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu_s": cpu_seconds() - cpu, "peak_mib": peak,
            "recall_at_1": metrics[recall_name(T2I, 1)]}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parse_case(text: str) -> tuple[int, int]:
    """'10000x5000' -> (10000, 5000)."""
    queries, _, gallery = text.lower().partition("x")
    return int(queries), int(gallery)


if __name__ == "__main__":
    shape, _, index_name = sys.argv[1].partition(":")
    print(json.dumps(measure(*parse_case(shape), index_name)))
