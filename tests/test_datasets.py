"""The dataset contract refuses an empty subset for every task, classification included."""

from __future__ import annotations

import pytest

from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task


@pytest.mark.parametrize("limit", [0, -3])
def test_limit_below_one_is_refused(limit):
    with pytest.raises(DataError, match=f"--limit must be at least 1 \\(a number of images\\), got {limit}"):
        LoadOptions(limit=limit)


def test_a_classification_task_never_sees_limit_zero(tmp_path):
    task = get_task("cifar10")
    task.write_sample(tmp_path, 6)
    assert len(task.load(tmp_path, LoadOptions(limit=1)).images) == 1
    with pytest.raises(DataError, match="--limit must be at least 1"):
        task.load(tmp_path, LoadOptions(limit=0))
