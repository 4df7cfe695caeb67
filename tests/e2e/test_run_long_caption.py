"""The long-caption tasks (DOCCI, DCI variants, IIW, FLAIR's sentence sets) through `run`, each metric equal to an
independent computation (embeddings one item at a time, brute-force recall)."""

from __future__ import annotations

from pathlib import Path

import pytest

from longbench.runner import RunConfig, run
from tests.helpers.samples import write_samples
from tests.reference_metrics import independent_metrics

TASKS = ["docci", "docci-fg", "dci", "dci-long", "dci-fgclip", "dci-fgclip2", "iiw", "iiw-fg"]
SLOW = {"docci-fg", "iiw-fg"}  # measured: several times the others


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return write_samples(tmp_path_factory.mktemp("data"), ",".join(TASKS), 5, seed=5)


@pytest.mark.parametrize("task", [pytest.param(t, marks=pytest.mark.slow) if t in SLOW else t for t in TASKS])
def test_long_caption_task_equals_an_independent_computation(task, data_root, tmp_path):
    [done] = run("tiny-clip", task, RunConfig(data_root=data_root, output=tmp_path, batch_size=3, progress=False))
    assert done.result.task.name == task and done.result.task.subset
    for name, value in independent_metrics("tiny-clip", task, data_root).items():
        assert done.result.metrics[name] == pytest.approx(value, abs=1e-9), name
