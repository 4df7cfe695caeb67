"""CLIP_benchmark (LAION-AI/CLIP_benchmark): its dataset names for longbench's tasks, its result-file name rule, and
imports of its result JSONs and of open_clip's published results CSV (measured with CLIP_benchmark).

A result JSON, as `clip_benchmark eval` writes it (clip_benchmark/cli.py `run`):
`{"dataset", "model", "pretrained", "task", "metrics": {name: fraction}, "language"}`, named by its default
`--output` template `{dataset}_{pretrained}_{model}_{language}_{task}.json` (a `/` in the dataset name -> `_`).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..artifacts.results import Origin, Result, TaskInfo, write_result
from ..artifacts.store import result_path
from ..data.paths import require_regular_file
from ..errors import DataError, SchemaError
from ..metrics.registry import by_alias
from ..provenance import ModelInfo

#: The metric registry's key for CLIP_benchmark's metric names (Metric.aliases).
TOOL = "clip_benchmark"
#: The tool named in `origin` for rows of open_clip's published results CSV.
OPEN_CLIP = "open_clip"
RETRIEVAL, CLASSIFICATION = "zeroshot_retrieval", "zeroshot_classification"
#: CLIP_benchmark's task -> longbench's task kind.
KINDS = {RETRIEVAL: "retrieval", CLASSIFICATION: "classification"}


@dataclass(frozen=True)
class Counterpart:
    """CLIP_benchmark's name for a longbench task whose data and protocol are the same."""

    dataset: str
    task: str
    #: The prompt set under which the classification protocols agree (prompts.py `clip`); None for retrieval.
    prompts: str | None = None


#: Verified the same data and protocol (docs/interop.md): the Karpathy test splits with the first 5 captions, and the
#: classification tasks under the `clip` prompt set (the templates and class names CLIP_benchmark uses; the test
#: compares them with CLIP_benchmark's own files). Not cifar100: CLIP_benchmark keeps torchvision's raw names
#: (`aquarium_fish`), the `clip` set the paper's (`aquarium fish`), and `imagenet80` other templates.
TASKS = {
    "coco-karpathy": Counterpart("mscoco_captions", RETRIEVAL),
    "flickr30k": Counterpart("flickr30k", RETRIEVAL),
    "cifar10": Counterpart("cifar10", CLASSIFICATION, "clip"),
    "imagenet": Counterpart("imagenet1k", CLASSIFICATION, "clip"),
    "objectnet": Counterpart("objectnet", CLASSIFICATION, "clip"),
}


def counterpart(task: TaskInfo) -> Counterpart | None:
    """CLIP_benchmark's name for the task this result measured, or None where CLIP_benchmark has no such task (or
    the result used other prompts than the ones the protocols agree under)."""
    found = TASKS.get(task.name)
    return found if found is not None and found.prompts in (None, task.prompts) else None


def file_name(dataset: str, pretrained: str, model: str, language: str, task: str) -> str:
    """CLIP_benchmark's default `--output` template (it replaces `/` in the dataset name; here in every part, so that
    a name like `hf-hub:org/repo` stays one file)."""
    return "_".join(part.replace("/", "_") for part in (dataset, pretrained, model, language, task)) + ".json"


def _longbench_task(dataset: str) -> tuple[str, Counterpart] | None:
    return next(((name, c) for name, c in TASKS.items() if c.dataset == dataset), None)


@dataclass
class Imported:
    """What an import wrote, and what it left out (one line each)."""

    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_files(paths: Sequence[Path], output: Path, version: str | None = None) -> Imported:
    """Import CLIP_benchmark result JSONs and open_clip results CSVs (files, or folders of them) into `output` as
    `<model>/<task>.<tool>.json`; every file is read and checked before any is written."""
    files = _files(paths)
    results: list[Result] = []
    report = Imported()
    for path in files:
        found, notes = (_from_csv(path) if path.suffix == ".csv" else _from_json(path, version))
        results += found
        report.notes += notes
    if not results:
        raise DataError(f"{', '.join(map(str, paths))}: nothing to import (no result of a task longbench has: "
                        f"{', '.join(c.dataset for c in TASKS.values())})")
    for result in results:
        path = result_path(output, result.model.name, f"{result.task.name}.{result.origin.tool}")
        report.written.append(write_result(result, path))
    return report


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in (".json", ".csv") and p.is_file())
        else:
            require_regular_file(path, "CLIP_benchmark result file", DataError)
            out.append(path)
    if not out:
        raise DataError(f"{', '.join(map(str, paths))}: no CLIP_benchmark result files (*.json, *.csv) found")
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{path}: not a readable CLIP_benchmark result JSON ({exc})") from None
    keys = ("dataset", "model", "pretrained", "task", "metrics")
    if not isinstance(data, dict) or not all(k in data for k in keys) or not isinstance(data["metrics"], dict):
        raise SchemaError(f"{path}: not a CLIP_benchmark result: expected an object with {', '.join(keys)} "
                          "(metrics an object)")
    return data


def _from_json(path: Path, version: str | None) -> tuple[list[Result], list[str]]:
    data = _read_json(path)
    dataset = str(data["dataset"]).removeprefix("wds/")
    found = _longbench_task(dataset)
    if found is None or found[1].task != data["task"]:
        return [], [f"{path.name}: left out: longbench has no task with CLIP_benchmark's {dataset} "
                    f"({data['task']}) data and protocol"]
    origin = Origin(TOOL, version, path.name)
    return [_result(str(data["model"]), str(data["pretrained"]), found, data["metrics"], origin, path)], []


#: open_clip's results CSVs (docs/openclip_*results.csv): a column -> (CLIP_benchmark dataset, its metric name).
_CSV_RECALL = re.compile(r"^(Flickr|MSCOCO) (image|text) retr\. R@([1-9][0-9]*)$")
_CSV_DATASETS = {"Flickr": "flickr30k", "MSCOCO": "mscoco_captions"}
_CSV_CLASSIFICATION = {"ImageNet 1k": "imagenet1k", "CIFAR-10": "cifar10", "ObjectNet": "objectnet"}


def _csv_column(column: str) -> tuple[str, str] | None:
    match = _CSV_RECALL.match(column)
    if match:
        return _CSV_DATASETS[match[1]], f"{match[2]}_retrieval_recall@{match[3]}"
    return (_CSV_CLASSIFICATION[column], "acc1") if column in _CSV_CLASSIFICATION else None


def _from_csv(path: Path) -> tuple[list[Result], list[str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SchemaError(f"{path}: not a readable results CSV ({exc})") from None
    if not rows or not {"name", "pretrained"} <= set(rows[0]):
        raise SchemaError(f"{path}: not open_clip's results CSV: expected a header with name, pretrained and "
                          "result columns, and rows")
    columns = {c: known for c in rows[0] if (known := _csv_column(c)) is not None}
    if not columns:
        raise SchemaError(f"{path}: no column of a task longbench has (e.g. 'Flickr image retr. R@1', 'ImageNet 1k')")
    out = []
    for line, row in enumerate(rows, start=2):
        per_dataset: dict[str, dict[str, Any]] = {}
        for column, (dataset, name) in columns.items():
            if row.get(column) not in (None, ""):
                per_dataset.setdefault(dataset, {})[name] = _csv_number(row[column], path, line, column)
        for dataset, metrics in per_dataset.items():
            found = _longbench_task(dataset)
            assert found is not None  # every column's dataset is in TASKS
            out.append(_result(row["name"], row["pretrained"], found, metrics, Origin(OPEN_CLIP, None, path.name),
                               path))
    return out, []


def _csv_number(text: str, path: Path, line: int, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SchemaError(f"{path}: line {line}, column {column!r}: expected a number, found {text!r}") from None


def _result(model: str, pretrained: str, found: tuple[str, Counterpart], values: dict[str, Any], origin: Origin,
            path: Path) -> Result:
    task, part = found
    metrics, warnings = _metrics(values, path)
    protocol = f"CLIP_benchmark {part.task} on {part.dataset} (imported from {path.name})"
    info = TaskInfo(task, KINDS[part.task], protocol, prompts=part.prompts, warnings=warnings)
    return Result(model=_model(model, pretrained), task=info, metrics=metrics, environment={}, timings={},
                  origin=origin)


def _metrics(values: dict[str, Any], path: Path) -> tuple[dict[str, float], list[str]]:
    """Longbench's names and percent (registry aliases); a NaN (CLIP_benchmark's acc5 under 5 classes) and a metric
    longbench does not have are left out, each with a warning in the result."""
    metrics, warnings = {}, []
    for name, value in values.items():
        entry = by_alias(TOOL, str(name))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SchemaError(f"{path}: metrics.{name}: expected a number, found {value!r}")
        if entry is None or not math.isfinite(value):
            warnings.append(f"{name} left out: " + ("not a number" if entry else "longbench has no such metric"))
            continue
        if not 0.0 <= value <= 1.0:
            raise SchemaError(f"{path}: metrics.{name}: expected a fraction from 0 to 1, found {value!r}")
        metrics[entry.name] = 100.0 * value
    return metrics, warnings


def _model(model: str, pretrained: str) -> ModelInfo:
    """The open_clip model under longbench's name for it: the registered name whose weights are open_clip's
    `model`@`pretrained`, else `open_clip:ARCH@TAG` (the name `longbench run` takes for it)."""
    spec_name = f"open_clip:{model}@{pretrained}"
    name = next((s.name for s in _registered() if s.load_as == spec_name), spec_name)
    return ModelInfo(name, model, _context_length(model), None, source=spec_name, tokenizer="unknown")


def _registered() -> Iterable[Any]:
    from ..adapters import MODELS  # the model registry, filled by the families (heavy: torch, open_clip)

    return (spec for _, spec in MODELS.items())


def _context_length(arch: str) -> int:
    import open_clip

    config = open_clip.get_model_config(arch) or {}
    return int(config.get("text_cfg", {}).get("context_length", 77))
