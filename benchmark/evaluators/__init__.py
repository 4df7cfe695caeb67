"""Evaluators: turn a task's dataset into metrics by driving the encoder and the metric functions.

Each module registers the evaluator for one dataset kind (`@register_evaluator("retrieval")`); all are imported
here so the runner finds them by kind.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import EVALUATORS, EvalOptions, Evaluation, register_evaluator

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base":
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["EVALUATORS", "EvalOptions", "Evaluation", "register_evaluator"]
