"""`longbench export FORMAT` and `longbench import clip-benchmark`: result files to and from other tools."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ._app import app, console, friendly_errors

import_app = typer.Typer(help="Import another tool's results as longbench result files (marked as imported).",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _notes(notes: list[str]) -> None:
    for note in dict.fromkeys(notes):
        console.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)


@app.command("export")
@friendly_errors
def export_command(
    fmt: str = typer.Argument(..., metavar="FORMAT", help="clip-benchmark, mteb, hf, latex or csv."),
    results: list[Path] = typer.Option(..., "--results", help="Result folder(s) or file(s)."),
    out: Path = typer.Option(..., "--out", help="Folder (clip-benchmark, mteb, hf) or file (latex, csv) to write."),
    tasks: str = typer.Option(None, "--tasks", help="Comma-separated tasks to export (default: all)."),
    metrics: str = typer.Option(None, "--metrics", help="latex/csv: comma-separated metrics (default: headline)."),
    references: Path = typer.Option(None, "--references", help="latex/csv: reported numbers to add, marked "
                                    "(a references.json; default: none)."),
) -> None:
    """Write results in another tool's format (clip-benchmark, mteb, hf) or as a paper table (latex, csv)."""
    from ..metrics.registry import metric
    from ..report.exports import export
    from ..report.references import load_references

    chosen = _split(metrics)
    for name in chosen or ():
        metric(name)  # an unknown metric is one line, before anything is written
    done = export(fmt, results, out, _split(tasks), chosen, load_references(references) if references else ())
    _notes(done.notes)
    console.print(f"wrote {len(done.written)} file(s) under {escape(str(out))}", highlight=False)


@import_app.command("clip-benchmark")
@friendly_errors
def import_clip_benchmark(
    files: list[Path] = typer.Argument(..., metavar="FILES|DIR", help="CLIP_benchmark result JSONs, open_clip's "
                                       "results CSV, or folders of them."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="Result folder to write into (<model>/<task>.<tool>.json)."),
    version: str = typer.Option(None, "--tool-version", help="The CLIP_benchmark version that measured the JSONs."),
) -> None:
    """CLIP_benchmark results (and open_clip's published CSV) as longbench result files, marked as imported."""
    from ..interop.clip_benchmark import import_files

    done = import_files(files, output, version)
    _notes(done.notes)
    console.print(f"imported {len(done.written)} result(s) into {escape(str(output))}", highlight=False)
