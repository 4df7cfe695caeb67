"""What an evaluator returns, and the registry that maps a dataset kind to its evaluator."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results import Truncation


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
