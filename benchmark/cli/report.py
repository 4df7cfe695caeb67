"""`longbench results`, `longbench leaderboard` and `longbench gate`: thin wrappers over longbench.report.

longbench.report is imported by the commands that use it (it imports pandas): every `longbench` command imports
this module, and `longbench run` would otherwise pay for pandas at every start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..artifacts.atomic import write_text_atomic
from ..artifacts.outputs import check_output_file
from ..errors import DataError
from ._app import app, console, friendly_errors

if TYPE_CHECKING:
    from ..report import ResultSet
    from ..report.gate import GateReport

ResultsOption = Annotated[
    list[Path],
    typer.Option("--results", help="Results directory (or file); repeat to combine several (newest result wins)."),
]


def _names(values: list[str] | None) -> list[str] | None:
    """`--tasks a,b --tasks c` -> [a, b, c]; None when not given."""
    return [v for value in values for v in value.split(",") if v] if values else None


def _load(paths: list[Path]) -> ResultSet:
    from ..report import load_results

    results = load_results(paths)
    if not len(results):
        raise DataError(f"{', '.join(map(str, paths))}: no result files found (expected <results>/<model>/<task>.json)")
    return results


@app.command()
@friendly_errors
def results(
    results_dirs: ResultsOption = [Path("results")],  # noqa: B006 -- typer reads the default, never mutates it
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the table as CSV.")] = None,
    json: Annotated[Path | None, typer.Option("--json", help="Also write the table as JSON records.")] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Also write the table as markdown.")] = None,
) -> None:
    """Show every result file (one row per model and task) and export it as csv/json/markdown."""
    from ..report import results_frame
    from ..report.tables import export_frame, frame_rich
    from ..terminal_tables import fit, name_column

    exports = [(fmt, check_output_file(path, f"--{fmt}")) for fmt, path in
               (("csv", csv), ("json", json), ("markdown", markdown)) if path is not None]
    loaded = _load(results_dirs)
    frame = results_frame(loaded)
    # One table per kind, only the columns it uses, so that it fits a terminal; the exports have every column.
    for kind, part in frame.groupby("kind", sort=True):
        hidden = ["task_version", "kind", "protocol", "n_images", "n_texts", "n_classes", "created", "path"]
        shown = part.drop(columns=hidden)
        console.print(frame_rich(shown.dropna(axis="columns", how="all"), title=f"{kind} results (percent)",
                                 width=console.width))
    if loaded.probes:
        probes = Table(title="Effective length (probe)")
        names = [p.model for p in loaded.probes] + [p.task for p in loaded.probes]
        name_column(probes, "model", [p.model for p in loaded.probes])
        name_column(probes, "task", [p.task for p in loaded.probes])
        for name in ("unit", "i2t", "t2i", "path"):
            probes.add_column(name, overflow="fold")
        for p in loaded.probes:
            probes.add_row(p.model, p.task, p.unit, str(p.i2t), str(p.t2i), p.path)
        console.print(fit(probes, console.width, names, ("path",)))
    for fmt_name, path in exports:
        console.print(f"wrote {escape(str(export_frame(frame, fmt_name, path)))}")


@app.command()
@friendly_errors
def leaderboard(
    results_dirs: ResultsOption = [Path("results")],  # noqa: B006
    out: Annotated[
        Path | None,
        typer.Option("--out", "--md", help="Write leaderboard markdown here (default: stdout, unless --html given)."),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write the web leaderboard (a static site: SITE/index.html and its pages) here."),
    ] = None,
    references: Annotated[
        Path | None, typer.Option("--references", help="Reference numbers JSON (default: the packaged one).")
    ] = None,
) -> None:
    """Build the leaderboard: measured rows with ranks, imported and reported rows, and their differences, as
    markdown and/or a static web site."""
    from ..report import build_leaderboard, load_references, load_results
    from ..report.site import build_site, check_site_folder, write_site

    if out is not None:
        check_output_file(out, "--out")
    if html is not None:
        check_site_folder(html)
    loaded, refs = load_results(results_dirs), load_references(references)
    text = build_leaderboard(loaded, refs) if out is not None or html is None else None
    # Everything is built before anything is written: bad input never leaves one output new and the other old.
    site = build_site(loaded, refs) if html is not None else None
    if out is None and html is None:
        typer.echo(text, nl=False)
    if out is not None:
        write_text_atomic(out, text)
        console.print(f"wrote {escape(str(out))}")
    if site is not None:
        write_site(site, html)
        console.print(f"wrote {escape(str(html / 'index.html'))} ({len(site)} files)")


@app.command(name="gate")
@friendly_errors
def gate_command(
    baseline: Annotated[Path, typer.Option("--baseline", help="Baseline result file or directory.")],
    candidate: Annotated[list[Path], typer.Option(
        "--candidate", help="Candidate result file or directory; repeat, or give a folder of several models, to gate "
        "each model (e.g. every checkpoint of a run) against a one-model baseline in one table.")],
    tolerance: Annotated[float, typer.Option("--tolerance", help="Allowed drop per metric, in points.")] = 1.0,
    metrics: Annotated[list[str] | None, typer.Option("--metrics", help="Metrics to compare (repeat or a,b).")] = None,
    tasks: Annotated[list[str] | None, typer.Option("--tasks", help="Tasks to compare (repeat or a,b).")] = None,
    significance: Annotated[
        bool, typer.Option("--significance", help="Fail only when the candidate's CI lies wholly below the baseline's.")
    ] = False,
    allow_missing: Annotated[
        bool, typer.Option("--allow-missing", help="Report tasks/metrics found on one side only instead of exit 2.")
    ] = False,
    summary: Annotated[
        str | None,
        typer.Option("--summary", help="Write a markdown summary to FILE; '-' appends to $GITHUB_STEP_SUMMARY."),
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML to FILE.")] = None,
) -> None:
    """Compare two result sets. Exit 0: no metric dropped beyond the rule; 1: one did; 2: unusable input."""
    from ..report import gate
    from ..report.output import append_text, step_summary_path

    summary_path = None if summary is None else step_summary_path(dict(os.environ)) if summary == "-" else Path(summary)
    # Checked before the verdict is printed: a report that cannot be written must not follow a PASSED line.
    for option, path in (("--summary", summary_path), ("--junit", junit)):
        if path is not None:
            check_output_file(path, option)
    report = gate(
        _load([baseline]), _load(candidate), tolerance, _names(metrics), _names(tasks), significance, allow_missing
    )
    _print(report)
    if summary_path is not None:
        (append_text if summary == "-" else write_text_atomic)(summary_path, report.to_markdown())
    if junit is not None:
        write_text_atomic(junit, report.to_junit())
    raise typer.Exit(report.exit_code)


def gate_runs(baseline: Path, candidates: list[Path], tolerance: float) -> int:
    """`longbench run --gate BASELINE`: gate the files just written, on their tasks only; print; return the exit code.

    Unusable input raises GateInputError (a LongbenchError), which the calling command turns into exit 2.
    """
    from ..report import gate, load_results

    candidate = load_results(candidates)
    tasks = sorted({r.result.task.name for r in candidate.results})
    report = gate(_load([baseline]), candidate, tolerance, tasks=tasks)
    _print(report)
    return report.exit_code


STATUS_STYLE = {"pass": "green", "fail": "bold red", "missing": "yellow"}


def _print(report: GateReport) -> None:
    from ..terminal_tables import fit, name_column

    table = Table(title="longbench gate")
    cells = report.table_rows()
    names = [cell for row in cells for cell in row[:2]]  # Model, Task
    for i, header in enumerate(report.HEADERS):
        if i < 2:
            name_column(table, header, [row[i] for row in cells])
        else:
            table.add_column(header, justify="right" if 3 <= i <= 5 else "left", overflow="fold")
    for row, row_cells in zip(report.rows, cells, strict=True):
        table.add_row(*map(escape, row_cells[:-1]), f"[{STATUS_STYLE[row.status]}]{row_cells[-1]}[/]")
    console.print(fit(table, console.width, names, ("Rule", "Baseline", "Candidate")))
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(escape(report.headline), style="bold green" if report.passed else "bold red")
