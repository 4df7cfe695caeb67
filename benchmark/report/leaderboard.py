"""leaderboard.md: measured rows (ranked), imported rows, their sources, reported reference rows, and measured -
reported; rendered from the table model (board.py, whose module doc states the rules the page's footnotes repeat).

The same model and task found twice: a full-protocol result beats a subset, then the newest `created` wins
(collect.py), and the page lists what it ignored. The output has no timestamps and only paths relative to the
results directory, so re-running is byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterable

from .board import (
    IMPORTED,
    MEAN_RANK_NOTE,
    MEASURED,
    RANK_NOTE,
    REPORTED,
    Board,
    Cell,
    Row,
    build_board,
    by_mean_rank,
    differences,
    mark_notes,
)
from .collect import ProbeRecord, ResultRecord, ResultSet
from .columns import (
    DATASETS,
    GROUPS,
    MAIN_METRICS,
    PROBE_COLUMNS,
    PROBE_TASK,
    RECALL_AT_K_METRICS,
    Column,
    Dataset,
    Group,
    datasets_by_group,
)
from .references import ReferenceSource
from .tables import INVALID, MISSING, fmt, fmt_measured, markdown_table

REGENERATE = "longbench leaderboard --results results --out leaderboard.md"


def _cell_text(cell: Cell | None) -> str:
    """A cell as the page shows it: the value (1 decimal), its marks, its rank; ✗ when invalid, – when missing."""
    if cell is None:
        return MISSING
    if not cell.valid:
        return INVALID
    return fmt(cell.value) + _sup(cell.marks) + ("" if cell.rank is None else f" ({cell.rank})")


def mean_rank_text(mean: tuple[float, int] | None) -> str:
    return MISSING if mean is None else f"{mean[0]:.2f} ({mean[1]})"


def _lookup(results: ResultSet, imported: bool = False) -> dict[tuple[str, str], ResultRecord]:
    """(model, task) -> the measured results, or the imported ones: the two fill different rows."""
    return {r.key: r for r in results.results if r.imported == imported}


def _sup(marks: str) -> str:
    return f"<sup>{','.join(marks)}</sup>" if marks else ""


def column_sets(board: Board) -> list[tuple[Group | None, list[Column]]]:
    """The page's tables of a board: the columns of the groups drawn together (None), then each group drawn as a
    table of its own (columns.Group.own_table), each with its own mean rank."""
    own = [g for g in GROUPS if g.own_table]
    return [(None, [c for c in board.columns if not c.dataset.group.own_table]),
            *((g, [c for c in board.columns if c.dataset.group == g]) for g in own)]


def _has_any(row: Row, cols: list[Column]) -> bool:
    return any(c in row.cells for c in cols)


def _measured_table(board: Board, cols: list[Column], probes: bool, rows: list[Row] | None = None) -> str:
    headers = ["Model", "Licence", *(c.header for c in cols)]
    headers += [label for _, label in PROBE_COLUMNS] if probes else []
    headers.append("Mean rank")
    table = []
    for row in by_mean_rank(board.rows_of(MEASURED) if rows is None else rows, cols):
        cells = [row.model, row.licence or MISSING, *(_cell_text(row.cells.get(c)) for c in cols)]
        if probes:
            cells += [probe_text(row.probes.get(unit)) for unit, _ in PROBE_COLUMNS]
        table.append([*cells, mean_rank_text(row.mean_rank(cols))])
    return markdown_table(headers, table, [False, False] + [True] * (len(headers) - 2))


def _own_tables(board: Board) -> list[str]:
    """Each group drawn as a table of its own, where a measured row has a cell in it: its rows ranked in it alone."""
    out = []
    for group, cols in column_sets(board)[1:]:
        rows = [r for r in board.rows_of(MEASURED) if _has_any(r, cols)]
        if rows:
            out += [f"### {group.name}", "", group.description, "", _measured_table(board, cols, False, rows)]
    return out


def _imported_table(board: Board) -> list[str]:
    out = []
    for _, cols in column_sets(board):
        rows = [r for r in board.rows_of(IMPORTED) if _has_any(r, cols)]
        if rows:
            headers = ["Model", "Measured by", *(c.header for c in cols)]
            table = [[row.model, row.source, *(_cell_text(row.cells.get(c)) for c in cols)] for row in rows]
            out.append(markdown_table(headers, table, [False, False] + [True] * len(cols)))
    return out


def probe_text(probe: ProbeRecord | None) -> str:
    """`I2T / T2I` effective lengths (`none` where the probe found none), naming the task when not PROBE_TASK."""
    if probe is None:
        return MISSING
    text = f"{_length(probe.i2t)} / {_length(probe.t2i)}"
    return text if probe.task == PROBE_TASK else f"{text} ({probe.task})"


def _length(value: int | None) -> str:
    return "none" if value is None else str(value)


def _groups() -> str:
    return "; ".join(f"**{g.name}**: {', '.join(d.label for d in datasets)}"
                     for g, datasets in datasets_by_group().items() if datasets and not g.own_table)


def _marks_legend() -> list[str]:
    return [f"- {_sup(n.mark) if n.superscript else n.mark} {n.text}" for n in mark_notes()]


def _sources_table(results: ResultSet) -> str:
    lookups = {imported: _lookup(results, imported) for imported in (False, True)}
    rows = []
    for record in results.results:
        model, task = record.key
        found = lookups[record.imported]
        used = [
            d.label
            for d in DATASETS
            if _fills(d, task, record.result.metrics)
            and (task in d.mean_of or next((t for t in d.tasks if (model, t) in found), None) == task)
        ]
        result_task = record.result.task
        rows.append([model, ", ".join(used) or MISSING, task, str(result_task.task_version), result_task.protocol,
                     fmt(result_task.limit), record.path])
    for probe in results.probes:
        unit = f"effective length ({probe.unit})"
        rows.append([probe.model, unit, probe.task, MISSING, "probe", MISSING, probe.path])
    return markdown_table(["Model", "Column", "Task", "Version", "Protocol", "Limit", "File"], rows)


def _fills(dataset: Dataset, task: str, metrics: Iterable[str]) -> bool:
    """Whether numbers of `task` with these metrics can fill one of the dataset's main-page columns."""
    return task in dataset.reads and not set(dataset.metrics or MAIN_METRICS.get(dataset.kind, ())).isdisjoint(metrics)


def _reference_tables(board: Board, rows: list[Row]) -> list[str]:
    """One table per column set (column_sets) in which a reported row has a number."""
    out = []
    for _, cols in column_sets(board):
        if any(_has_any(row, cols) for row in rows):
            table = [[row.label, f"`{row.model}`", *(_reported_text(row.cells.get(c)) for c in cols)] for row in rows]
            headers = ["Model (as reported)", "longbench name", *(c.header for c in cols)]
            out.append(markdown_table(headers, table, [False, False] + [True] * len(cols)))
    return out


def _reported_text(cell: Cell | None) -> str:
    return MISSING if cell is None else fmt(cell.value) + _sup(cell.marks)


def _reference_block(board: Board, references: list[ReferenceSource]) -> list[str]:
    reported = iter(board.rows_of(REPORTED))  # source by source, each source's rows in its order
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
        rows = [next(reported) for _ in source.rows]
        out += [f"Protocols: {protocols}.", "", *_reference_tables(board, rows)]
        unshown = sorted({t for r in source.rows for t, values in r.values.items()
                          if not any(_fills(d, t, values) for d in DATASETS)})
        if unshown:
            out += [f"Also in the reference file, without a column here: {', '.join(f'`{t}`' for t in unshown)}.", ""]
    return out


def _differences(results: ResultSet, references: list[ReferenceSource]) -> str | None:
    rows = [[d.source, d.model, d.task, d.metric, fmt_measured(d.measured), fmt(d.reported),
             fmt_measured(d.difference, signed=True), d.record.path] for d in differences(results, references)]
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
    board = build_board(results, references, MAIN_METRICS)
    if not board.rows_of(MEASURED):
        out += [
            "No measured results yet: run `longbench run --model NAME --tasks ... --output results`, "
            "then regenerate this page.",
            "",
        ]
    else:
        main = column_sets(board)[0][1]
        out += [f"Column groups: {_groups()}.", "", _measured_table(board, main, probes=True)]
        out += ["Footnotes (marks: see the top of the page):", "", *_rank_legend(), ""]
        recall = build_board(results, [], RECALL_AT_K_METRICS, probes=False)
        out += ["### Recall@5 and Recall@10", "", _measured_table(recall, list(recall.columns), probes=False)]
        out += _own_tables(board)
    if len(results):
        out += ["### Where each number comes from", "", _sources_table(results)]
        if results.superseded:
            out += ["Same model and task found more than once: a full-protocol result beats a subset, then the newest "
                    "`created` wins. Ignored:", ""]
            out += [f"- `{old}` (superseded by `{new}`)" for old, new in results.superseded] + [""]
    if board.rows_of(IMPORTED):
        out += ["## Imported (measured by other tools, not by longbench)", "",
                "Result files imported from another tool's output: marked as theirs, never ranked and never compared "
                "with reported numbers. Marks as at the top of the page.", "", *_imported_table(board)]
    out += _reference_block(board, references)
    out += ["## Measured − reported", ""]
    diff = _differences(results, references)
    out += [diff] if diff else ["No measured result matches a reported row (same model, same task, full protocol).", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _rank_legend() -> list[str]:
    return [
        f"- {RANK_NOTE}",
        f"- {MEAN_RANK_NOTE}",
        "- Effective length: `I2T / T2I` from `longbench probe` on Urban1k (another task is named); `none`: the "
        "probe found no effective length.",
        "- Same model and task measured more than once: a full-protocol result is shown before a subset, then the "
        "newest (by its `created` time).",
    ]
