"""Non-finite model output is an error where it arises, never a number.

A model whose weights hold NaN or Inf embeds everything as NaN; every similarity is then NaN, no candidate ranks
above the target and recall reads 100 %. These checks turn such output into a NonFiniteError (exit code 3) naming
the model, what was computed and the first bad item, before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .errors import NonFiniteError


def first_non_finite(values: np.ndarray) -> int | None:
    """Index of the first row (or element, for 1-D input) holding NaN or Inf; None when all are finite."""
    values = np.asarray(values)
    if values.size == 0 or np.isfinite(values).all():
        return None
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    return int(np.argmax(bad))


def require_finite(values: np.ndarray, model: str, what: str, describe: Callable[[int], str]) -> None:
    """NonFiniteError naming `model`, what produced the values (`what`) and `describe(row)` of the first bad row."""
    row = first_non_finite(values)
    if row is not None:
        raise NonFiniteError(f"{model}: the {what} produced NaN/Inf for {describe(row)}; "
                             f"the model's weights or its numeric precision are broken (try --precision fp32)")


def excerpt(text: str, width: int = 60) -> str:
    """A caption shortened for an error message."""
    return repr(text if len(text) <= width else text[:width] + "...")


def require_finite_metrics(metrics: Mapping[str, float], intervals: Mapping[str, Sequence[float]], model: str,
                           task: str) -> None:
    """A metric or interval bound that is NaN/Inf means the scores were invalid: never recorded."""
    for name, value in [*metrics.items(), *((f"{k} interval", v) for k, bounds in intervals.items() for v in bounds)]:
        if not np.isfinite(value):
            raise NonFiniteError(f"{model}: {task}: metric {name} is {value}; the model's output was invalid, "
                                 "nothing was written")
