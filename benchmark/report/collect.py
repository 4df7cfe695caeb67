"""Load result and probe files from files or directories into records and a pandas frame.

A directory is searched recursively for `*.json`; files named `probe-*.json` are probe files (written by
`longbench probe`), every other `.json` must be a result file (benchmark/results.py). Any file of an unknown
schema version, or that is not what its name says, is refused with a SchemaError naming it.

Duplicates: when the same (model, task, measuring tool) -- or (model, task, unit) for probes -- is found more
than once (two
result directories, or a result `run` kept beside an old one), a result on the full protocol beats one on a subset
(`--limit`, fewer images), then the newest `created` timestamp wins; equal timestamps fall back to the later path
in sorted order, so the choice never depends on the file system.
The losers are kept in `ResultSet.superseded` so that tables can say what was left out. A result imported from
another tool (`origin.imported`) never supersedes longbench's own measurement of the same (model, task), nor the
other way round: both are kept, and each table decides what it shows (`measured`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..artifacts.probes import PREFIX as PROBE_PREFIX
from ..artifacts.probes import read_probe_document
from ..artifacts.results import Result, read_result
from ..data.paths import require_regular_file
from ..errors import DataError, SchemaError
from ..metrics.registry import DIRECTIONS, I2T, T2I, metric_order, recall_name


@dataclass(frozen=True)
class ResultRecord:
    """A result and where it came from (`path` is relative to the directory it was found in, posix style; `file` is
    the file itself, which the web leaderboard copies so that every number links to its file)."""

    result: Result
    path: str
    file: Path | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.result.model.name, self.result.task.name)

    @property
    def imported(self) -> bool:
        return self.result.origin.imported


@dataclass(frozen=True)
class ProbeCurve:
    """A probe's R@1 against caption length, per direction, with what a plot marks on it."""

    lengths: tuple[float, ...]
    recall: dict[str, tuple[float, ...]]  # direction -> R@1 at each length
    full: dict[str, float]  # direction -> R@1 at full length, where the probe recorded it
    context_length: int
    tolerance: float


@dataclass(frozen=True)
class ProbeRecord:
    """The part of a probe file the report uses: the effective length (None where the probe found none), the curve."""

    model: str
    task: str
    unit: str
    i2t: int | None
    t2i: int | None
    path: str
    created: str = ""
    curve: ProbeCurve | None = field(default=None, compare=False)
    file: Path | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.model, self.task, self.unit)


@dataclass
class ResultSet:
    results: list[ResultRecord] = field(default_factory=list)
    probes: list[ProbeRecord] = field(default_factory=list)
    # (ignored path, path that replaced it), sorted.
    superseded: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.results) + len(self.probes)

    @property
    def measured(self) -> list[ResultRecord]:
        """The results longbench measured itself (at most one per (model, task)); imported ones are left out."""
        return [r for r in self.results if not r.imported]


def load_results(paths: Path | Sequence[Path]) -> ResultSet:
    """Load every result and probe file under `paths` (files or directories), deduplicated (see module doc).

    A record's path is relative to the directory it was found in (prefixed with that directory's name when more
    than one path is given, so that they stay apart); a file given directly is named `<its folder>/<its name>`,
    which is `<model>/<task>.json` in a results directory.
    """
    roots = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    results: list[ResultRecord] = []
    probes: list[ProbeRecord] = []
    for root in roots:
        prefix = f"{root.name}/" if len(roots) > 1 and not root.is_file() else ""
        for file, rel in _json_files(root):
            label = prefix + rel
            if file.name.startswith(PROBE_PREFIX):
                probes.append(read_probe(file, label))
            else:
                results.append(ResultRecord(read_result(file), label, file))
    kept_results, lost_results = _newest(results, lambda r: (*r.key, r.result.origin.tool),
                                         lambda r: (not _subset(r), r.result.created))
    kept_probes, lost_probes = _newest(probes, lambda p: p.key, lambda p: p.created)
    return ResultSet(
        results=sorted(kept_results, key=lambda r: (r.key, r.path)),
        probes=sorted(kept_probes, key=lambda p: (p.key, p.path)),
        superseded=sorted(lost_results + lost_probes),
    )


def _subset(record: ResultRecord) -> bool:
    return record.result.task.subset or record.result.task.limit is not None


def _json_files(root: Path) -> list[tuple[Path, str]]:
    if not root.is_dir():
        require_regular_file(root, "result file", DataError)
    if root.is_file():
        return [(root, f"{root.parent.name}/{root.name}" if root.parent.name else root.name)]
    if not root.is_dir():
        raise DataError(f"{root}: no such result file or directory")
    # Hidden files are the temporaries of atomic writes in progress (and editor droppings).
    found = [p for p in root.rglob("*.json") if p.is_file() and not p.name.startswith(".")]
    return sorted((p, p.relative_to(root).as_posix()) for p in found)


def _newest(records: list, key: Any, preference: Any) -> tuple[list, list[tuple[str, str]]]:
    """Per key, the record with the highest (preference, path); the others as (loser path, winner path)."""
    winners: dict[Any, Any] = {}
    lost: list[tuple[str, str]] = []
    for record in sorted(records, key=lambda r: (preference(r), r.path)):
        old = winners.get(key(record))
        if old is not None:
            lost.append((old.path, record.path))
        winners[key(record)] = record
    return list(winners.values()), lost


def read_probe(path: Path, label: str | None = None) -> ProbeRecord:
    """The fields of a probe file the report uses (artifacts/probes.py checks the file)."""
    data = read_probe_document(path)
    length = data["effective_length"]
    return ProbeRecord(str(data["model"]["name"]), str(data["task"]), data["unit"], length[I2T], length[T2I],
                       label or Path(path).name, str(data.get("created", "")), _curve(data, path), Path(path))


def _curve(data: dict[str, Any], path: Path) -> ProbeCurve:
    points, full = data["points"], data.get("full") or {}
    try:
        return ProbeCurve(
            lengths=tuple(float(p["length"]) for p in points),
            recall={d: tuple(float(p[recall_name(d, 1)]) for p in points) for d in DIRECTIONS},
            full={d: float(full[recall_name(d, 1)]) for d in DIRECTIONS if recall_name(d, 1) in full},
            context_length=int(data["model"]["context_length"]),
            tolerance=float(data.get("tolerance", 0.0)),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise SchemaError(f"{path}: not a valid longbench probe file (its curve: {exc})") from None


INFO_COLUMNS = ("model", "task", "task_version", "kind", "protocol", "limit", "n_images", "n_texts", "n_classes")


def results_frame(results: ResultSet) -> pd.DataFrame:
    """One row per (model, task): identity, protocol, size, every metric (percent), created and source path."""
    metrics = metric_order({m for r in results.results for m in r.result.metrics})
    rows = []
    for record in results.results:
        task = record.result.task
        rows.append(
            {
                "model": record.result.model.name,
                "task": task.name,
                "task_version": task.task_version,
                "kind": task.kind,
                "protocol": task.protocol,
                "limit": task.limit,
                "n_images": task.n_images,
                "n_texts": task.n_texts,
                "n_classes": task.n_classes,
                **{m: record.result.metrics.get(m) for m in metrics},
                "created": record.result.created,
                "path": record.path,
            }
        )
    frame = pd.DataFrame(rows, columns=[*INFO_COLUMNS, *metrics, "created", "path"])
    for column in ("task_version", "limit", "n_images", "n_texts", "n_classes"):
        frame[column] = frame[column].astype("Int64")
    for metric in metrics:
        frame[metric] = frame[metric].astype("float64")
    return frame.sort_values(["model", "task"], kind="stable").reset_index(drop=True)
