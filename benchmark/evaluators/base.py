"""What an evaluator returns, and the registry that maps a dataset kind to its evaluator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..artifacts.results import Truncation
from ..metrics.registry import DEFAULT_KS
from ..registry import Registry


@dataclass
class Evaluation:
    metrics: dict[str, float]
    ci: dict[str, list[float]] = field(default_factory=dict)
    by_length: dict[str, dict[str, float]] = field(default_factory=dict)
    truncation: Truncation | None = None
    timings: dict[str, float] = field(default_factory=dict)
    prompts: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: What the result should say about how it was measured (added to the task's warnings).
    warnings: list[str] = field(default_factory=list)
    #: Per-group metrics beyond caption length (the result's `breakdowns`).
    breakdowns: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalOptions:
    """Settings an evaluator may use; each evaluator reads the ones that apply to its kind."""

    bootstrap: int = 0
    seed: int = 0
    #: Prompt set name or JSON file (classification only).
    prompts: str | None = None
    #: Replaces the cache home (cache_home.py; `--cache-dir`) for what evaluators remember: zero-shot classifiers,
    #: retrieval ranks. None: the cache home.
    cache_dir: Path | None = None
    #: How retrieval ranks are computed: auto, dense, chunked or faiss (metrics/retrieval.py).
    index: str = "auto"
    #: False: classifiers and ranks are computed afresh, never read from or written to the cache.
    cache: bool = True
    #: The Ks of Recall@K (retrieval only; `--recall-k`).
    recall_ks: tuple[int, ...] = DEFAULT_KS


#: kind ("retrieval", "classification", "selection") -> evaluate(encoder, dataset, options) -> Evaluation
EVALUATORS: Registry[Callable[..., Evaluation]] = Registry("evaluator")


def register_evaluator(kind: str):
    return EVALUATORS.register(kind)
