"""`longbench data status | fetch | verify`: what is on disk, downloading what is public, checking what is there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from ..errors import DataError
from ..fetch import FetchReport, VerifyReport, data_status, fetch, verify
from ..terminal_tables import fit, name_column
from ._app import app, console, err_console, friendly_errors

data_app = typer.Typer(name="data", help="Dataset status, download (public datasets) and verification.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")

STATE_STYLE = {"found": "green", "complete": "green", "incomplete": "yellow", "damaged": "red", "missing": "red"}
DataRoot = Annotated[Path | None, typer.Option("--data-root", "-d", help="Folder holding the datasets' default "
                                              "layouts (one subfolder per dataset).")]
#: How many missing or damaged entries `verify` lists per task before summarising the rest.
_SHOW = 20


def _require(data_root: Path | None) -> Path:
    if data_root is None:
        raise DataError("no --data-root given: pass the folder that holds (or will hold) the datasets")
    return data_root


def _counts(found: dict[str, int], expected: dict[str, int]) -> str:
    return ", ".join(f"{found.get(k, 0)}/{v} {k}" for k, v in expected.items())


@data_app.command("status")
@friendly_errors
def status_command(
    data_root: DataRoot = None,
) -> None:
    """Every task: found / incomplete / missing with counts, the expected layout, licence and how to get it."""
    root = _require(data_root)
    rows = data_status(root)
    table = Table(title=f"datasets under {escape(str(root))}", show_lines=True)
    name_column(table, "task", [row.task for row in rows])
    table.add_column("state", no_wrap=True)
    table.add_column("found / expected", max_width=22)
    table.add_column("expected layout, licence, how to get it", ratio=1, overflow="fold")
    for row in rows:
        state = row.status.state
        where = row.status.root.relative_to(root) if row.status.root.is_relative_to(root) else row.status.root
        about = f"layout: {where}/ {row.layout}\nlicence: {row.licence}\nget it: {row.obtain}"
        if state == "incomplete" and row.status.detail:
            about += f"\nproblem: {row.status.detail}"
        table.add_row(row.task, f"[{STATE_STYLE[state]}]{state}[/]", _counts(row.status.found, row.status.expected),
                      escape(about))
    console.print(fit(table, console.width, [row.task for row in rows], ("found / expected",)))


def _download_progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    TimeRemainingColumn(), console=err_console)


def _print_fetch(report: FetchReport) -> None:
    for result in report.parts:
        name = escape(result.part.filename)
        if result.skipped:
            console.print(f"[green]✓[/] {name}: already fetched", highlight=False)
        else:
            console.print(f"[green]✓[/] {name} from {escape(result.location)}: {escape(result.verified)}",
                          highlight=False, soft_wrap=True)
        for path in result.placed:
            console.print(f"    -> {escape(str(path))}", highlight=False, soft_wrap=True)
    for task, status in report.statuses.items():
        console.print(f"{task}: [{STATE_STYLE[status.state]}]{status.state}[/] "
                      f"{_counts(status.found, status.expected)}", highlight=False)
    if report.source.note:
        console.print(f"[yellow]note:[/] {escape(report.source.note)}", highlight=False, soft_wrap=True)
    console.print(f"licence: {escape(report.source.licence)}", highlight=False)


@data_app.command("fetch")
@friendly_errors
def fetch_command(
    name: Annotated[str, typer.Argument(help="Dataset: urban1k, coco, karpathy, coco-karpathy, cifar10, cifar100, "
                                             "sharegpt4v (account-only ones print instructions).")],
    data_root: DataRoot = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="A mirror (base URL ending in '/' or a local folder holding the files by name) or, for "
        "one-file datasets, the archive's URL or local path. Also $LONGBENCH_FETCH_<NAME> and "
        "$LONGBENCH_FETCH_MIRROR.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files already at the destination.")] = False,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Resume attempts after a dropped connection.")] = 3,
) -> None:
    """Download, check and unpack a public dataset into its layout under --data-root."""
    root = _require(data_root)
    with _download_progress() as progress:
        report = fetch(name, root, source, progress, force, retries)
    _print_fetch(report)


def _print_verify(report: VerifyReport) -> None:
    style = STATE_STYLE[report.state]
    console.print(f"[{style}]{report.task}: {report.state}[/] {_counts(report.found, report.expected)} "
                  f"at {escape(str(report.root))}", highlight=False, soft_wrap=True)
    if report.detail:
        console.print(f"    {escape(report.detail)}", highlight=False, soft_wrap=True)
    for label, entries in (("missing image", report.missing), ("damaged image", report.damaged)):
        for entry in entries[:_SHOW]:
            console.print(f"    {label}: {escape(entry)}", highlight=False, soft_wrap=True)
        if len(entries) > _SHOW:
            console.print(f"    ... and {len(entries) - _SHOW} more {label}s", highlight=False)
    for warning in report.warnings:
        console.print(f"    [yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)


@data_app.command("verify")
@friendly_errors
def verify_command(
    name: Annotated[str, typer.Argument(help="A task, a comma list or group of tasks, or a fetch name.")],
    data_root: DataRoot = None,
    decode: Annotated[bool, typer.Option("--decode/--no-decode", help="Open and decode every image file.")] = True,
) -> None:
    """Check a dataset against its expected counts and decode its images. Exit 1 if incomplete or damaged."""
    root = _require(data_root)
    with Progress(SpinnerColumn(), TextColumn("decoding images"), MofNCompleteColumn(),
                  console=err_console, transient=True) as progress:
        bar = progress.add_task("decode", total=None)
        reports = verify(name, root, decode, lambda: progress.advance(bar))
    for report in reports:
        _print_verify(report)
    raise typer.Exit(0 if all(report.ok for report in reports) else 1)
