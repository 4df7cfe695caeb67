"""The paper table both `latex` and `csv` render: chosen tasks x metrics, one row per model.

- Rows: measured results (longbench's own), then imported ones (marked with their tool), then reported numbers
  (`--references FILE`, marked with their source).
- Columns: each chosen task with each chosen metric it has (default metrics: the leaderboard's headline ones), then
  one average column per metric found on two or more tasks: a row's mean over those tasks, only where it has all.
- The best value of each column among measured rows is marked (the registry says which way is better; ties all
  marked); a bootstrap interval is carried where the result has one; footnotes give each task's protocol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...metrics.registry import metric, metric_order
from ..board import IMPORTED, MEASURED, REPORTED, measured_by
from ..collect import ResultRecord
from . import Selection


@dataclass(frozen=True)
class Column:
    task: str | None  # None: the average over `over`
    metric: str
    over: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return metric(self.metric).label


@dataclass(frozen=True)
class Value:
    value: float
    ci: tuple[float, float] | None = None
    best: bool = False


@dataclass(frozen=True)
class PaperRow:
    label: str
    origin: str  # MEASURED, IMPORTED or REPORTED
    source: str  # the measuring tool (imported) or the reference source (reported); "" for measured
    values: dict[Column, Value]


@dataclass(frozen=True)
class PaperTable:
    columns: tuple[Column, ...]
    rows: tuple[PaperRow, ...]
    protocols: dict[str, str]  # task -> its protocol (the footnotes)

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(c.task for c in self.columns if c.task is not None))


def paper_table(selection: Selection) -> PaperTable:
    records = selection.records(imported=True)
    tasks = list(selection.tasks) if selection.tasks else sorted({r.result.task.name for r in records})
    per_task = {t: {m for r in records if r.result.task.name == t for m in r.result.metrics} for t in tasks}
    columns = [Column(t, m) for t in tasks for m in metric_order(per_task[t]) if _chosen(selection, m)]
    averages = [Column(None, m, over) for m in metric_order({c.metric for c in columns})
                if len(over := tuple(c.task for c in columns if c.metric == m)) > 1]
    measured = sorted({r.result.model.name for r in records if not r.imported})
    rows = [_row(model, MEASURED, "", _found(records, model, None), columns) for model in measured]
    imported = sorted({(r.result.model.name, measured_by(r)) for r in records if r.imported})
    rows += [_row(model, IMPORTED, tool, _found(records, model, tool), columns) for model, tool in imported]
    rows += [PaperRow(ref.label, REPORTED, source.id, {c: Value(ref.values[c.task][c.metric]) for c in columns
                                                       if c.metric in ref.values.get(c.task, {})})
             for source in selection.references for ref in source.rows]
    rows = [PaperRow(r.label, r.origin, r.source, {**r.values, **_averages(r, averages)}) for r in rows]
    all_columns = (*columns, *averages)
    protocols = {t: next(r.result.task.protocol for r in records if r.result.task.name == t)
                 for t in tasks if any(r.result.task.name == t for r in records)}
    return PaperTable(all_columns, tuple(_best(rows, all_columns)), protocols)


def _chosen(selection: Selection, name: str) -> bool:
    return name in selection.metrics if selection.metrics else metric(name).headline


def _found(records: list[ResultRecord], model: str, tool: str | None) -> dict[str, ResultRecord]:
    """task -> the model's measured results (tool None), or its results imported from `tool`."""
    return {r.result.task.name: r for r in records if r.result.model.name == model
            and (measured_by(r) == tool if tool else not r.imported)}


def _row(model: str, origin: str, source: str, found: dict[str, ResultRecord], columns: list[Column]) -> PaperRow:
    values = {}
    for column in columns:
        record = found.get(column.task)
        if record is not None and column.metric in record.result.metrics:
            ci = record.result.ci.get(column.metric)
            values[column] = Value(record.result.metrics[column.metric], (ci[0], ci[1]) if ci else None)
    return PaperRow(model, origin, source, values)


def _averages(row: PaperRow, averages: list[Column]) -> dict[Column, Value]:
    out = {}
    for column in averages:
        parts = [row.values.get(Column(task, column.metric)) for task in column.over]
        if all(p is not None for p in parts):
            out[column] = Value(sum(p.value for p in parts) / len(parts))
    return out


def _best(rows: list[PaperRow], columns: tuple[Column, ...]) -> list[PaperRow]:
    """Marks the best finite value of each column among the measured rows (ties all marked)."""
    best = {}
    for column in columns:
        sign = 1.0 if metric(column.metric).higher_is_better else -1.0
        values = [sign * v.value for r in rows if r.origin == MEASURED and (v := r.values.get(column)) is not None
                  and math.isfinite(v.value)]
        if values:
            best[column] = max(values)
    return [PaperRow(r.label, r.origin, r.source, {
        c: Value(v.value, v.ci, r.origin == MEASURED and c in best and
                 (1.0 if metric(c.metric).higher_is_better else -1.0) * v.value == best[c])
        for c, v in r.values.items()}) for r in rows]
