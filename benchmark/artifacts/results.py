"""The result file: one versioned JSON document per (model, task), written atomically.

Schema version 3 (the reference: docs/results.md):

    {
      "schema_version": 3,
      "kind": "retrieval" | "classification",
      "created": ISO-8601 UTC timestamp,
      "model": {name, architecture, checkpoint, checkpoint_sha256, context_length, pos_embed_kind, source, backend,
                revision, tokenizer, text_spec, licence},
      "task": {name, kind, task_version, protocol, n_images, n_texts, n_classes, fingerprint, limit,
               expected_images, subset, prompts, warnings, counts, skipped},
      "metrics": {name: value, ...}                 (names, scales and ranges: metrics/registry.py),
      "ci": {name: [low, high], ...}               (95% bootstrap interval, only with --bootstrap),
      "bootstrap": {"samples": N, "seed": S} | null,
      "truncation": {n_texts, n_truncated, mean_tokens_lost, max_tokens_lost},
      "by_length": {"<=20": {"n_texts": .., <recall>: .., ...}, "21-77": .., "78-248": .., ">248": ..},
      "environment": {longbench, torch, open_clip, python, device, dtype, batch_size, workers},
      "timings": {"load": s, "model_load": s, "encode_images": s, "encode_texts": s, "metrics": s, "tokenize": s,
                  "decode": s, ...},
      "breakdowns": {breakdown: {group: {name: value}}}   (e.g. per tag of a compositional task; {} if none),
      "origin": {tool, version, source}             (who measured it: "longbench", or the tool it was imported from)
    }

Older files are upgraded when read, never refused (schema.py): each step in RESULT_SCHEMA turns version N into
N + 1, and a file is read as the current version. Version 1 -> 2 adds `task.task_version` = 1 (every task was at
version 1 when versions were introduced); the model fields added in version 2 (backend, revision, tokenizer,
text_spec, licence) take ModelInfo's defaults, which describe the open_clip models that version 1 files were
written for. Version 2 -> 3 adds `origin` (longbench, at the version its environment records) and empty
`breakdowns`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..data.paths import require_regular_file
from ..errors import SchemaError
from ..metrics.registry import is_metric, metric
from ..provenance import ModelInfo
from .atomic import write_json_atomic
from .schema import DocumentSchema


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    task = data.get("task")
    return {**data, "task": {**task, "task_version": 1} if isinstance(task, dict) else task}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    environment = data.get("environment")
    version = environment.get("longbench") if isinstance(environment, dict) else None
    return {**data, "origin": {"tool": MEASURED_BY, "version": version, "source": None}, "breakdowns": {}}


RESULT_SCHEMA = DocumentSchema("result", 3, {1: _v1_to_v2, 2: _v2_to_v3})
SCHEMA_VERSION = RESULT_SCHEMA.version

__all__ = ["ModelInfo", "Origin", "Result", "TaskInfo", "Truncation", "read_result", "write_result"]

#: The tool that measures what longbench writes itself; any other `origin.tool` marks an imported result.
MEASURED_BY = "longbench"


@dataclass
class Origin:
    """Who measured a result: longbench itself, or another tool whose result file was imported."""

    tool: str = MEASURED_BY
    #: The measuring tool's version, where known.
    version: str | None = None
    #: The imported file's name (None for a measurement of longbench's own).
    source: str | None = None

    @property
    def imported(self) -> bool:
        return self.tool != MEASURED_BY


@dataclass
class TaskInfo:
    name: str
    kind: str
    protocol: str
    #: None where unknown (an imported result whose tool does not record it).
    n_images: int | None = None
    #: The data's fingerprint; None for an imported result (longbench did not read the data).
    fingerprint: str | None = None
    #: The task's protocol version (TaskMeta.version) when it was measured; results of two versions never compare.
    task_version: int = 1
    n_texts: int | None = None
    n_classes: int | None = None
    limit: int | None = None
    #: Images in the published protocol (None where the task does not fix it).
    expected_images: int | None = None
    #: True when fewer images were evaluated than the published protocol has (--limit, a partial copy, skips).
    subset: bool = False
    prompts: str | None = None
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


@dataclass
class Truncation:
    n_texts: int
    n_truncated: int
    mean_tokens_lost: float
    max_tokens_lost: int


@dataclass
class Result:
    model: ModelInfo
    task: TaskInfo
    metrics: dict[str, float]
    environment: dict[str, Any]
    timings: dict[str, float]
    ci: dict[str, list[float]] = field(default_factory=dict)
    bootstrap: dict[str, int] | None = None
    truncation: Truncation | None = None
    by_length: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Per-group metrics beyond caption length: {breakdown: {group: {metric or count: value}}}.
    breakdowns: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    origin: Origin = field(default_factory=Origin)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    schema_version: int = SCHEMA_VERSION

    @property
    def kind(self) -> str:
        return self.task.kind

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind
        # Put the version first so that a human reading the file sees it at once.
        return {"schema_version": data.pop("schema_version"), **data}

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> Result:
        if not isinstance(data, dict):
            raise SchemaError(f"{source}: expected a JSON object, found {type(data).__name__}")
        data = RESULT_SCHEMA.upgrade(data, source)
        try:
            return cls(
                model=_build(ModelInfo, data["model"]),
                task=_build(TaskInfo, data["task"]),
                metrics=_metrics(data["metrics"], source, "metrics"),
                environment=dict(data["environment"]),
                timings={str(k): float(v) for k, v in data["timings"].items()},
                ci=_intervals(data.get("ci") or {}, source),
                bootstrap=data.get("bootstrap"),
                truncation=_build(Truncation, data["truncation"]) if data.get("truncation") else None,
                by_length=_groups(data.get("by_length") or {}, source, "by_length"),
                breakdowns={str(name): _groups(groups, source, f"breakdowns.{name}")
                            for name, groups in (data.get("breakdowns") or {}).items()},
                origin=_build(Origin, data["origin"]),
                created=str(data["created"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SchemaError(f"{source}: not a valid longbench result ({type(exc).__name__}: {exc})") from None


def _value(name: str, value: Any, source: str, where: str) -> float:
    """A metric's value checked against its registry entry (a number on its scale; NaN/Inf stay: they mean an
    invalid model output, which the gate fails as non-finite); a name no entry has must still be a number."""
    problem = metric(name).problem(value) if is_metric(name) else _not_a_number(value)
    if problem:
        raise SchemaError(f"{source}: {where}.{name}: {problem}")
    return float(value)


def _not_a_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, found {value!r}"
    return None


def _metrics(values: Any, source: str, where: str) -> dict[str, float]:
    if not isinstance(values, dict):
        raise SchemaError(f"{source}: {where}: expected an object of metric name -> value")
    return {str(name): _value(str(name), value, source, where) for name, value in values.items()}


def _intervals(values: Any, source: str) -> dict[str, list[float]]:
    if not isinstance(values, dict):
        raise SchemaError(f"{source}: ci: expected an object of metric name -> [low, high]")
    out = {}
    for name, bounds in values.items():
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise SchemaError(f"{source}: ci.{name}: expected [low, high], found {bounds!r}")
        out[str(name)] = [_value(str(name), bound, source, "ci") for bound in bounds]
    return out


def _groups(groups: Any, source: str, where: str) -> dict[str, dict[str, float]]:
    """Per-group metrics (caption-length buckets, breakdowns): the metrics checked, counts numbers too."""
    if not isinstance(groups, dict) or not all(isinstance(row, dict) for row in groups.values()):
        raise SchemaError(f"{source}: {where}: expected an object of group -> {{metric or count: value}}")
    return {str(group): _metrics(row, source, f"{where}.{group}") for group, row in groups.items()}


def _build(cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} must be an object")
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise KeyError(f"unexpected {cls.__name__} fields {sorted(unknown)}")
    return cls(**data)


def write_result(result: Result, path: Path) -> Path:
    write_json_atomic(path, result.to_dict())
    return path


def read_result(path: Path) -> Result:
    require_regular_file(path, "result file", SchemaError)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: result file not found") from None
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read the result file: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not valid JSON ({exc})") from None
    return Result.from_dict(data, source=str(path))
