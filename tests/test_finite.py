"""The non-finite checks: first bad row found, metrics and interval bounds refused."""

from __future__ import annotations

import numpy as np
import pytest

from longbench.errors import DataError, NonFiniteError
from longbench.finite import first_non_finite, require_finite, require_finite_metrics
from longbench.metrics.bootstrap import MAX_BOOTSTRAP, check_bootstrap


def test_first_non_finite_row():
    values = np.ones((5, 3), np.float32)
    assert first_non_finite(values) is None and first_non_finite(np.zeros((0, 3))) is None
    values[3, 1], values[4, 0] = np.inf, np.nan
    assert first_non_finite(values) == 3
    assert first_non_finite(np.array([1.0, np.nan])) == 1


def test_require_finite_names_model_what_and_item():
    with pytest.raises(NonFiniteError, match=r"m: the text tower produced NaN/Inf for row 1"):
        require_finite(np.array([[0.0], [np.nan]]), "m", "text tower", lambda i: f"row {i}")


@pytest.mark.parametrize("metrics,ci", [({"acc1": float("nan")}, {}), ({"acc1": 50.0}, {"acc1": [40.0, np.inf]})])
def test_non_finite_metrics_and_intervals_are_refused(metrics, ci):
    with pytest.raises(NonFiniteError, match="m: cifar10: metric acc1"):
        require_finite_metrics(metrics, ci, "m", "cifar10")
    require_finite_metrics({"acc1": 50.0}, {"acc1": [40.0, 60.0]}, "m", "cifar10")


def test_bootstrap_bounds():
    check_bootstrap(0, 0)
    check_bootstrap(MAX_BOOTSTRAP, 2**40)
    for samples, seed in ((-1, 0), (MAX_BOOTSTRAP + 1, 0), (10, -1)):
        with pytest.raises(DataError):
            check_bootstrap(samples, seed)
