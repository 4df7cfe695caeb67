"""Fixtures that write tiny result and probe files for the report tests (no models, no data)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from longbench.artifacts.results import Origin, write_result
from longbench.artifacts.store import result_path
from tests.helpers.results import make_result

WriteFn = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFn:
    """write(root, model, task, metrics, created=..., ci=..., origin=..., **task_fields) -> the result file's path."""

    def _write(
        root: str,
        model: str,
        task: str,
        metrics: dict[str, float],
        created: str | None = None,
        ci: dict[str, list[float]] | None = None,
        origin: Origin | None = None,
        **task_fields,
    ) -> Path:
        result = make_result(model, task, metrics, **task_fields)
        if created:
            result.created = created
        if ci:
            result.ci = ci
        if origin:
            result.origin = origin
        return write_result(result, result_path(tmp_path / root, model, task))

    return _write


@pytest.fixture
def write_probe(tmp_path: Path) -> Callable[..., Path]:
    def _write(root: str, model: str, task: str, unit: str, i2t: int | None, t2i: int | None, version: int = 1) -> Path:
        path = tmp_path / root / model / f"probe-{task}-{unit}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "schema_version": version,
            "kind": "probe",
            "model": {"name": model, "architecture": "ViT-B-16", "context_length": 77},
            "task": task,
            "unit": unit,
            "effective_length": {"i2t": i2t, "t2i": t2i},
            "points": [{"length": 10, "i2t_r1": 1.0, "t2i_r1": 2.0}],
        }
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return _write

