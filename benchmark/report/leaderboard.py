"""leaderboard.md: measured rows (ranked), their sources, reported reference rows, and measured - reported.

Rules the page states in its own footnotes:
- a cell takes the first task of its column (columns.py) that the model has a result for; a cell from another
  task (another protocol), from a `--limit` subset, or from an older task version than the newest one on the page
  (the task's protocol changed since) is marked and neither ranked nor compared with references, so two task
  versions are never ranked against each other;
- a NaN/Inf value (an invalid model output) is shown as ✗, never as missing, and is neither ranked nor compared;
- ranks are per column among the unmarked measured cells, highest value first, ties sharing the best rank; the
  mean rank is over the columns a model is ranked in (their number in brackets), as MIEB does; rows are sorted by
  mean rank, then name;
- the same model and task found twice: a full-protocol result beats a subset, then the newest `created` wins
  (collect.py), and the page lists what it ignored.
The output has no timestamps and only paths relative to the results directory, so re-running is byte-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..artifacts.results import TaskInfo
from ..kinds import ITEMS
from ..metrics.registry import metric_order
from .collect import ProbeRecord, ResultRecord, ResultSet
from .columns import (
    DATASETS,
    LIMIT_MARK,
    MAIN_METRICS,
    OWN_TABLES,
    PROBE_COLUMNS,
    PROBE_TASK,
    RECALL_AT_K_METRICS,
    VERSION_MARK,
    Column,
    Dataset,
    columns,
    group_columns,
    protocol_marks,
)
from .references import ReferenceSource
from .tables import INVALID, MISSING, fmt, fmt_measured, markdown_table

REGENERATE = "longbench leaderboard --results results --out leaderboard.md"


@dataclass(frozen=True)
class Cell:
    value: float
    record: ResultRecord
    marks: str  # footnote marks; empty when measured under the column's own protocol

    @property
    def valid(self) -> bool:
        return math.isfinite(self.value)

    @property
    def rankable(self) -> bool:
        return not self.marks and self.valid

    def text(self, rank: float) -> str:
        if not self.valid:
            return INVALID
        return fmt(self.value) + _sup(self.marks) + _rank(rank)


def _lookup(results: ResultSet) -> dict[tuple[str, str], ResultRecord]:
    return {r.key: r for r in results.results}


def newest_versions(results: ResultSet) -> dict[str, int]:
    """Per task, the newest task version among the results: the version its column ranks."""
    newest: dict[str, int] = {}
    for record in results.results:
        task = record.result.task
        newest[task.name] = max(newest.get(task.name, 0), task.task_version)
    return newest


def _cell(found: dict[tuple[str, str], ResultRecord], versions: dict[str, int], model: str,
          column: Column) -> Cell | None:
    if column.dataset.mean_of:
        return _mean_cell(found, versions, model, column)
    for protocol in column.dataset.protocols:
        record = found.get((model, protocol.task))
        if record is not None and column.metric in record.result.metrics:
            return Cell(record.result.metrics[column.metric], record, protocol.mark + _marks(record, versions))
    return None


def _mean_cell(found: dict[tuple[str, str], ResultRecord], versions: dict[str, int], model: str,
               column: Column) -> Cell | None:
    """The column's metric pooled over its tasks' items (each task's value weighted by its item count), where the
    model has every one; any mark one of them carries is carried."""
    records = [found.get((model, task)) for task in column.dataset.mean_of]
    if any(r is None or column.metric not in r.result.metrics or not r.result.task.counts.get(ITEMS)
           for r in records):
        return None
    marks = "".join(dict.fromkeys("".join(_marks(r, versions) for r in records)))
    weights = [r.result.task.counts[ITEMS] for r in records]
    value = sum(r.result.metrics[column.metric] * w for r, w in zip(records, weights, strict=True)) / sum(weights)
    return Cell(value, records[0], marks)


def _marks(record: ResultRecord, versions: dict[str, int]) -> str:
    task = record.result.task
    return (LIMIT_MARK if _subset(task) else "") + (VERSION_MARK if task.task_version < versions[task.name] else "")


def _subset(task: TaskInfo) -> bool:
    return task.subset or task.limit is not None


def _sup(marks: str) -> str:
    return f"<sup>{','.join(marks)}</sup>" if marks else ""


def rank_frame(cells: dict[str, dict[Column, Cell]], cols: list[Column]) -> pd.DataFrame:
    """Rank of each model per column (NaN where unranked); ties share the best rank."""
    values = pd.DataFrame(
        {c.header: {m: cell.value for m, row in cells.items() if (cell := row.get(c)) and cell.rankable} for c in cols},
        index=sorted(cells),
        dtype="float64",
    )
    return values.rank(ascending=False, method="min")


def _measured_table(results: ResultSet, cols: list[Column], probes: bool) -> str:
    found, versions = _lookup(results), newest_versions(results)
    models = sorted(
        {r.result.model.name for r in results.results} | ({p.model for p in results.probes} if probes else set())
    )
    cells = {m: {c: cell for c in cols if (cell := _cell(found, versions, m, c))} for m in models}
    ranks = rank_frame(cells, cols)
    mean = ranks.mean(axis=1)
    order = sorted(models, key=lambda m: (pd.isna(mean[m]), 0.0 if pd.isna(mean[m]) else mean[m], m))
    headers = ["Model", "Licence", *(c.header for c in cols)]
    headers += [label for _, label in PROBE_COLUMNS] if probes else []
    headers.append("Mean rank")
    rows = []
    for model in order:
        row = [model, _licence(results, model)]
        for column in cols:
            cell = cells[model].get(column)
            rank = ranks.at[model, column.header]
            row.append(MISSING if cell is None else cell.text(rank))
        if probes:
            row += [_probe_text(_probe(results.probes, model, unit)) for unit, _ in PROBE_COLUMNS]
        n = int(ranks.loc[model].notna().sum())
        row.append(MISSING if n == 0 else f"{mean[model]:.2f} ({n})")
        rows.append(row)
    return markdown_table(headers, rows, [False, False] + [True] * (len(headers) - 2))


def _licence(results: ResultSet, model: str) -> str:
    """The weights' licence as the model's result files record it (from the registry entry that loaded it)."""
    return next((r.result.model.licence for r in results.results
                 if r.result.model.name == model and r.result.model.licence), MISSING)


def _rank(rank: float) -> str:
    return "" if pd.isna(rank) else f" ({int(rank)})"


def _probe(probes: list[ProbeRecord], model: str, unit: str) -> ProbeRecord | None:
    """The probe on PROBE_TASK, else the first other task alphabetically (named in the cell)."""
    mine = sorted(
        (p for p in probes if p.model == model and p.unit == unit), key=lambda p: (p.task != PROBE_TASK, p.task)
    )
    return mine[0] if mine else None


def _probe_text(probe: ProbeRecord | None) -> str:
    if probe is None:
        return MISSING
    text = f"{_length(probe.i2t)} / {_length(probe.t2i)}"
    return text if probe.task == PROBE_TASK else f"{text} ({probe.task})"


def _length(value: int | None) -> str:
    return "none" if value is None else str(value)


def _groups() -> str:
    groups: dict[str, list[str]] = {}
    for dataset in DATASETS:
        groups.setdefault(dataset.group, []).append(dataset.label)
    return "; ".join(f"**{g}**: {', '.join(labels)}" for g, labels in groups.items())


def _marks_legend() -> list[str]:
    lines = [f"- <sup>{p.mark}</sup> task `{p.task}`: {p.note}." for p in protocol_marks()]
    lines.append(f"- <sup>{LIMIT_MARK}</sup> measured on a subset (`--limit`, or fewer images than the protocol's), "
                 "not the full protocol.")
    lines.append(f"- {INVALID} in place of a number: the result file holds NaN or Inf for it, an invalid model output "
                 "(not a missing measurement, which is –); never ranked or compared.")
    lines.append(f"- <sup>{VERSION_MARK}</sup> measured under an older version of its task than the newest on this "
                 "page (the task's protocol changed since): re-run it to rank it.")
    return lines


def _sources_table(results: ResultSet) -> str:
    found = _lookup(results)
    rows = []
    for record in results.results:
        model, task = record.key
        used = [
            d.label
            for d in DATASETS
            if task in d.tasks and next((t for t in d.tasks if (model, t) in found), None) == task
        ]
        result_task = record.result.task
        rows.append([model, ", ".join(used) or MISSING, task, str(result_task.task_version), result_task.protocol,
                     fmt(result_task.limit), record.path])
    for probe in results.probes:
        unit = f"effective length ({probe.unit})"
        rows.append([probe.model, unit, probe.task, MISSING, "probe", MISSING, probe.path])
    return markdown_table(["Model", "Column", "Task", "Version", "Protocol", "Limit", "File"], rows)


def _dataset_of(task: str) -> Dataset | None:
    return next((d for d in DATASETS if task in d.tasks), None)


def _reference_table(source: ReferenceSource, cols: list[Column]) -> str:
    rows = []
    for ref in source.rows:
        row = [ref.label, f"`{ref.model}`"]
        for column in cols:
            value = _reference_value(ref, column)
            row.append(MISSING if value is None else fmt(value[0]) + _sup(value[1]))
        rows.append(row)
    headers = ["Model (as reported)", "longbench name", *(c.header for c in cols)]
    return markdown_table(headers, rows, [False, False] + [True] * len(cols))


def _reference_value(ref, column: Column) -> tuple[float, str] | None:
    """A reported row's (value, mark) in a column: its first task that reports the metric (None for a mean column)."""
    if column.dataset.mean_of:  # pooled over items, which a reported row does not count
        return None
    task = next((t for t in column.dataset.tasks if column.metric in ref.values.get(t, {})), None)
    if task is None:
        return None
    return ref.values[task][column.metric], next(p.mark for p in column.dataset.protocols if p.task == task)


def _reference_block(references: list[ReferenceSource]) -> list[str]:
    out = [
        "## Reported reference numbers (reported by papers, not measured here)",
        "",
        "From `benchmark/resources/references.json`. Marks as at the top of the page; reported rows are not ranked.",
        "",
    ]
    for source in references:
        protocols = "; ".join(f"`{t}`: {d}" for t, d in sorted(source.protocols.items()))
        kind = " (secondary transcription)" if source.secondary else ""
        out += [f"### Reported{kind}: {source.title}", "", f"Source: <{source.url}>. {source.note}", ""]
        out += [f"Protocols: {protocols}.", ""]
        for cols in (columns(MAIN_METRICS), *(group_columns(group) for group in OWN_TABLES)):
            if any(_reference_value(ref, column) is not None for ref in source.rows for column in cols):
                out.append(_reference_table(source, cols))
        unshown = sorted({t for r in source.rows for t in r.values if _dataset_of(t) is None})
        if unshown:
            out += [f"Also in the reference file, without a column here: {', '.join(f'`{t}`' for t in unshown)}.", ""]
    return out


def _differences(results: ResultSet, references: list[ReferenceSource]) -> str | None:
    found, versions = _lookup(results), newest_versions(results)
    rows = []
    for source in references:
        for ref in source.rows:
            for task in sorted(ref.values):
                record = found.get((ref.model, task))
                if record is None or _marks(record, versions):
                    continue
                for metric in metric_order(ref.values[task]):
                    measured = record.result.metrics.get(metric)
                    if measured is None:
                        continue
                    reported = ref.values[task][metric]
                    rows.append(
                        [
                            source.id,
                            ref.model,
                            task,
                            metric,
                            fmt_measured(measured),
                            fmt(reported),
                            fmt_measured(measured - reported, signed=True),
                            record.path,
                        ]
                    )
    if not rows:
        return None
    headers = ["Source", "Model", "Task", "Metric", "Measured", "Reported", "Measured − reported", "File"]
    return markdown_table(headers, rows, [False] * 4 + [True] * 3 + [False])


def build_leaderboard(results: ResultSet, references: list[ReferenceSource]) -> str:
    """The whole leaderboard.md text (see the module doc for its rules)."""
    out = [
        "# longbench leaderboard",
        "",
        "<!-- Generated by `longbench leaderboard`; do not edit by hand. -->",
        "",
        f"Generated by `longbench leaderboard`; regenerate with `{REGENERATE}` after `longbench run ... "
        "--output results`.",
        "",
        "All numbers are percentages: retrieval Recall@K (I2T = image→text, T2I = text→image), zero-shot top-1 "
        "accuracy. The **Measured** section holds only numbers longbench measured, each traceable to its result "
        "file (paths relative to the results directory); the **Reported** section holds numbers from papers.",
        "",
        "A cell measured under another protocol than its column, or on a subset, is marked and never ranked:",
        "",
        *_marks_legend(),
        "",
        "## Measured",
        "",
    ]
    if not results.results and not results.probes:
        out += [
            "No measured results yet: run `longbench run --model NAME --tasks ... --output results`, "
            "then regenerate this page.",
            "",
        ]
    else:
        out += [f"Column groups: {_groups()}.", "", _measured_table(results, columns(MAIN_METRICS), probes=True)]
        out += ["Footnotes (marks: see the top of the page):", "", *_rank_legend(), ""]
        out += ["### Recall@5 and Recall@10", "", _measured_table(results, columns(RECALL_AT_K_METRICS), probes=False)]
        for group, note in OWN_TABLES.items():
            cols = group_columns(group)
            if any(r.result.task.name in _column_tasks(cols) for r in results.results):
                out += [f"### {group}", "", note, "", _measured_table(results, cols, probes=False)]
        out += ["### Where each number comes from", "", _sources_table(results)]
        if results.superseded:
            out += ["Same model and task found more than once: a full-protocol result beats a subset, then the newest "
                    "`created` wins. Ignored:", ""]
            out += [f"- `{old}` (superseded by `{new}`)" for old, new in results.superseded] + [""]
    out += _reference_block(references)
    out += ["## Measured − reported", ""]
    diff = _differences(results, references)
    out += [diff] if diff else ["No measured result matches a reported row (same model, same task, full protocol).", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _column_tasks(cols: list[Column]) -> set[str]:
    return {task for c in cols for task in (*c.dataset.tasks, *c.dataset.mean_of)}


def _rank_legend() -> list[str]:
    return [
        "- `(n)` after a value: its rank in the column among unmarked measured cells (ties share the best rank).",
        "- Mean rank: the mean of a model's ranks, over the number of ranked columns in brackets (MIEB style).",
        "- Effective length: `I2T / T2I` from `longbench probe` on Urban1k (another task is named); `none`: the "
        "probe found no effective length.",
        "- Same model and task measured more than once: a full-protocol result is shown before a subset, then the "
        "newest (by its `created` time).",
    ]
