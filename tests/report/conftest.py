"""Builders of tiny result and probe files for the report tests (no models, no data)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from longbench.artifacts.results import ModelInfo, Origin, Result, TaskInfo, write_result
from longbench.artifacts.store import result_path

PROTOCOLS = {
    "urban1k": "urban1k: 1000 pairs 1:1",
    "urban-200": "urban-200: 200 pairs 1:1",
    "sharegpt4v-1k": "sharegpt4v: first 1000",
    "coco": "coco val2017 5k",
    "coco-karpathy": "coco karpathy 5k test",
    "flickr30k": "flickr30k karpathy 1k test",
    "flickr30k-full": "flickr30k full",
    "imagenet": "imagenet val, 80 templates",
    "cifar10": "cifar10 test",
}
CLASSIFICATION = {"imagenet", "cifar10", "cifar100", "objectnet"}
#: Licences the result files of these test models record (none for the others).
LICENCES = {"longclip-B": "Apache-2.0", "clip-B": "MIT"}


def retrieval(i2t: float, t2i: float) -> dict[str, float]:
    """Recall@1/5/10 from R@1 as given (even out of range, for the tests that need one), R@5 and R@10 a few points
    up but at most 100."""
    return {f"{d}_r{k}": r1 if k == 1 or not math.isfinite(r1) else min(r1 + up, 100.0)
            for d, r1 in (("i2t", i2t), ("t2i", t2i)) for k, up in ((1, 0), (5, 5), (10, 8))}


def make_result(model: str, task: str, metrics: dict[str, float], **task_fields) -> Result:
    kind = "classification" if task in CLASSIFICATION else "retrieval"
    info = {"protocol": PROTOCOLS.get(task, task), "n_images": 10, "fingerprint": "fp", **task_fields}
    return Result(
        model=ModelInfo(model, "ViT-B-16", 77, "learned", licence=LICENCES.get(model)),
        task=TaskInfo(task, kind, **info),
        metrics=metrics,
        environment={"torch": "x"},
        timings={"load": 0.1},
        created="2024-05-01T00:00:00+00:00",
    )


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


#: How an imported result records its origin (`longbench import clip-benchmark` writes such files).
IMPORTED_FROM = Origin(tool="clip_benchmark", version="1.6.1", source="benchmark_urban1k.json")
