"""The leaderboard's table model, built once and rendered twice: as leaderboard.md (leaderboard.py) and as the web
leaderboard (site/).

A board has the columns (columns.py x the metric registry) and three kinds of rows: measured (result files that
longbench wrote), imported (result files another tool measured: `origin.imported`) and reported (numbers papers
reported, references.json). Each cell knows its value, the task that filled it, its marks, its result file, its
bootstrap interval and its rank. The rules:
- a cell takes the first task of its column (columns.py) that the row has a result for; a cell from another task
  (another protocol), from a `--limit` subset, or from an older task version than the newest one among the
  results (the task's protocol changed since) is marked and never ranked, so two task versions are never ranked
  against each other;
- a pooled column (columns.Dataset.mean_of: SugarCrepe's Replace, Swap, Add) shows its metric over the items of
  all its tasks, where the row has every one, with the marks any of them carries;
- a NaN/Inf value (an invalid model output) is kept as it is: renderers show it as invalid, and it is never ranked;
- ranks are per column among the unmarked measured cells, best value first (the metric registry says which way
  is better), ties sharing the best rank; imported and reported rows are never ranked, since longbench did not
  measure them;
- a row's mean rank is over the columns it is ranked in, as MIEB does; measured rows are ordered by it, then by
  name (rows without a rank last), imported rows by name, reported rows as their source lists them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..artifacts.results import TaskInfo
from ..kinds import ITEMS
from ..metrics.registry import metric, metric_order
from .collect import ProbeRecord, ResultRecord, ResultSet
from .columns import LIMIT_MARK, PROBE_COLUMNS, PROBE_TASK, VERSION_MARK, Column, columns, protocol_marks
from .references import ReferenceRow, ReferenceSource
from .tables import INVALID, MISSING

#: Joins the tasks of a pooled cell (columns.Dataset.mean_of) in `Cell.task`.
POOLED = " + "
#: Row origins, in the order a page lists them.
MEASURED, IMPORTED, REPORTED = "measured", "imported", "reported"
ORIGINS = (MEASURED, IMPORTED, REPORTED)

#: How every rendering explains ranks (`code` in backticks).
RANK_NOTE = "`(n)` after a value: its rank in the column among unmarked measured cells (ties share the best rank)."
MEAN_RANK_NOTE = "Mean rank: the mean of a model's ranks, over the number of ranked columns in brackets (MIEB style)."


@dataclass(frozen=True)
class MarkNote:
    """What a mark on a cell means, as every rendering states it (`code` in backticks)."""

    mark: str
    text: str
    superscript: bool = True  # a footnote mark after a value; False: a sign in place of the value


def mark_notes() -> list[MarkNote]:
    notes = [MarkNote(p.mark, f"task `{p.task}`: {p.note}.") for p in protocol_marks()]
    return [
        *notes,
        MarkNote(LIMIT_MARK, "measured on a subset (`--limit`, or fewer images than the protocol's), not the full "
                 "protocol."),
        MarkNote(INVALID, "in place of a number: the result file holds NaN or Inf for it, an invalid model output "
                 f"(not a missing measurement, which is {MISSING}); never ranked or compared.", superscript=False),
        MarkNote(VERSION_MARK, "measured under an older version of its task than the newest on this page (the task's "
                 "protocol changed since): re-run it to rank it."),
    ]


@dataclass(frozen=True)
class Cell:
    value: float
    task: str  # the task whose result (or reported number) filled it; a pooled cell's tasks joined by POOLED
    marks: str = ""  # footnote marks; empty when measured under the column's own protocol
    record: ResultRecord | None = None  # None for a reported number and a pooled cell (several results)
    ci: tuple[float, float] | None = None  # the 95% bootstrap interval, where the result has one
    rank: int | None = None  # among the unmarked measured cells of its column

    @property
    def valid(self) -> bool:
        return math.isfinite(self.value)

    @property
    def rankable(self) -> bool:
        return not self.marks and self.valid


@dataclass(frozen=True)
class Row:
    origin: str  # MEASURED, IMPORTED or REPORTED
    model: str  # the longbench model name
    label: str  # the name the row is shown under (a reported row: as its source names the model)
    cells: Mapping[Column, Cell]
    source: str = ""  # imported: the measuring tool(s); reported: the reference source's id
    licence: str | None = None  # the weights' licence as the result files record it
    probes: Mapping[str, ProbeRecord] = field(default_factory=dict)  # probe unit -> the probe shown

    def mean_rank(self, cols: Iterable[Column]) -> tuple[float, int] | None:
        """The mean of the row's ranks over `cols` and how many it is ranked in; None where it is ranked in none."""
        ranks = [cell.rank for c in cols if (cell := self.cells.get(c)) is not None and cell.rank is not None]
        return (sum(ranks) / len(ranks), len(ranks)) if ranks else None


@dataclass(frozen=True)
class Board:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]  # measured (by mean rank over every column), imported, reported (see the module doc)

    def rows_of(self, origin: str, cols: Sequence[Column] | None = None) -> list[Row]:
        """The rows of one origin; measured rows ordered by their mean rank over `cols` (default: every column)."""
        rows = [r for r in self.rows if r.origin == origin]
        return by_mean_rank(rows, self.columns if cols is None else cols) if origin == MEASURED else rows


def by_mean_rank(rows: Iterable[Row], cols: Sequence[Column]) -> list[Row]:
    def key(row: Row) -> tuple[bool, float, str]:
        mean = row.mean_rank(cols)
        return (mean is None, 0.0 if mean is None else mean[0], row.model)

    return sorted(rows, key=key)


def build_board(results: ResultSet, references: Sequence[ReferenceSource], metrics: dict[str, tuple[str, ...]],
                probes: bool = True) -> Board:
    """The board of `metrics` (a kind -> metric names map, e.g. columns.MAIN_METRICS); with `probes`, measured rows
    carry their effective-length probes (and a model with only a probe gets a row)."""
    cols = tuple(columns(metrics))
    versions = newest_versions(results)
    measured = [r for r in results.results if not r.result.origin.imported]
    imported = [r for r in results.results if r.result.origin.imported]
    probe_models = {p.model for p in results.probes} if probes else set()
    rows = _ranked([_result_row(MEASURED, model, measured, versions, cols, results.probes if probes else [])
                    for model in sorted(_models(measured) | probe_models)], cols)
    rows = by_mean_rank(rows, cols)
    rows += [_result_row(IMPORTED, model, imported, versions, cols, []) for model in sorted(_models(imported))]
    rows += [_reported_row(source, ref, cols) for source in references for ref in source.rows]
    return Board(cols, tuple(rows))


def _models(records: Iterable[ResultRecord]) -> set[str]:
    return {r.result.model.name for r in records}


def newest_versions(results: ResultSet) -> dict[str, int]:
    """Per task, the newest task version among the results: the version its column ranks."""
    newest: dict[str, int] = {}
    for record in results.results:
        task = record.result.task
        newest[task.name] = max(newest.get(task.name, 0), task.task_version)
    return newest


def marks_of(record: ResultRecord, versions: dict[str, int]) -> str:
    """The marks a result earns whatever its column: a subset (LIMIT_MARK), an older task version (VERSION_MARK)."""
    task = record.result.task
    return (LIMIT_MARK if is_subset(task) else "") + (VERSION_MARK if task.task_version < versions[task.name] else "")


def is_subset(task: TaskInfo) -> bool:
    return task.subset or task.limit is not None


def _result_row(origin: str, model: str, records: list[ResultRecord], versions: dict[str, int],
                cols: Sequence[Column], probes: Sequence[ProbeRecord]) -> Row:
    mine = [r for r in records if r.result.model.name == model]
    found = {r.result.task.name: r for r in mine}
    cells = {c: cell for c in cols if (cell := _result_cell(found, versions, c)) is not None}
    tools = sorted({measured_by(r) for r in mine}) if origin == IMPORTED else []
    licence = next((r.result.model.licence for r in mine if r.result.model.licence), None)
    shown = {unit: probe for unit, _ in PROBE_COLUMNS if (probe := shown_probe(probes, model, unit)) is not None}
    return Row(origin, model, model, cells, ", ".join(tools), licence, shown)


def measured_by(record: ResultRecord) -> str:
    """Who measured a result: `longbench`, or the imported tool with its version where known."""
    origin = record.result.origin
    return f"{origin.tool} {origin.version}" if origin.imported and origin.version else origin.tool


def _result_cell(found: dict[str, ResultRecord], versions: dict[str, int], column: Column) -> Cell | None:
    if column.dataset.mean_of:
        return _pooled_cell(found, versions, column)
    for protocol in column.dataset.protocols:
        record = found.get(protocol.task)
        if record is not None and column.metric in record.result.metrics:
            ci = record.result.ci.get(column.metric)
            return Cell(record.result.metrics[column.metric], protocol.task, protocol.mark + marks_of(record, versions),
                        record, (ci[0], ci[1]) if ci else None)
    return None


def _pooled_cell(found: dict[str, ResultRecord], versions: dict[str, int], column: Column) -> Cell | None:
    """A pooled column's cell (columns.Dataset.mean_of): its metric over all the items of its tasks, i.e. each task's
    value weighted by its item count, where the row has every one; any mark one of them carries is carried. No one
    result file holds it, so it links to none (the tasks' own columns do)."""
    records = [found.get(task) for task in column.dataset.mean_of]
    if any(r is None or column.metric not in r.result.metrics or not r.result.task.counts.get(ITEMS)
           for r in records):
        return None
    weights = [r.result.task.counts[ITEMS] for r in records]
    value = sum(r.result.metrics[column.metric] * w for r, w in zip(records, weights, strict=True)) / sum(weights)
    marks = "".join(dict.fromkeys("".join(marks_of(r, versions) for r in records)))
    return Cell(value, POOLED.join(column.dataset.mean_of), marks)


def _ranked(rows: list[Row], cols: Sequence[Column]) -> list[Row]:
    """The rows with each rankable cell's rank in its column set (ties share the best rank)."""
    ranks: dict[tuple[str, Column], int] = {}
    for column in cols:
        sign = 1.0 if metric(column.metric).higher_is_better else -1.0
        values = {row.model: sign * cell.value for row in rows
                  if (cell := row.cells.get(column)) is not None and cell.rankable}
        for model, value in values.items():
            ranks[(model, column)] = 1 + sum(other > value for other in values.values())
    return [replace(row, cells={c: replace(cell, rank=ranks.get((row.model, c))) for c, cell in row.cells.items()})
            for row in rows]


def shown_probe(probes: Sequence[ProbeRecord], model: str, unit: str) -> ProbeRecord | None:
    """The probe shown for a model and unit: the one on PROBE_TASK, else the first other task alphabetically."""
    mine = sorted((p for p in probes if p.model == model and p.unit == unit),
                  key=lambda p: (p.task != PROBE_TASK, p.task))
    return mine[0] if mine else None


def _reported_row(source: ReferenceSource, ref: ReferenceRow, cols: Sequence[Column]) -> Row:
    cells = {}
    for column in cols:
        protocol = next((p for p in column.dataset.protocols if column.metric in ref.values.get(p.task, {})), None)
        if protocol is not None:
            cells[column] = Cell(ref.values[protocol.task][column.metric], protocol.task, protocol.mark)
    return Row(REPORTED, ref.model, ref.label, cells, source.id)


@dataclass(frozen=True)
class Difference:
    """A measured number beside the number a source reported for the same model, task and metric."""

    source: str
    model: str
    task: str
    metric: str
    measured: float
    reported: float
    record: ResultRecord

    @property
    def difference(self) -> float:
        return self.measured - self.reported


def differences(results: ResultSet, references: Sequence[ReferenceSource]) -> list[Difference]:
    """Every reported number that a measured result matches (same model, same task, full protocol, newest task
    version), in source, row, task and metric order; imported results are never compared."""
    found = {r.key: r for r in results.measured}
    versions = newest_versions(results)
    out = []
    for source in references:
        for ref in source.rows:
            for task in sorted(ref.values):
                record = found.get((ref.model, task))
                if record is None or marks_of(record, versions):
                    continue
                measured, reported = record.result.metrics, ref.values[task]
                out += [Difference(source.id, ref.model, task, name, measured[name], reported[name], record)
                        for name in metric_order(reported) if name in measured]
    return out
