"""`longbench demo`: run the whole pipeline on built-in samples and tiny random models, then say what is next."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ._app import app, console, friendly_errors


@app.command("demo")
@friendly_errors
def demo_command(
    workdir: Path = typer.Option(Path("longbench-demo"), "--dir", help="Where the sample data and outputs go."),
    progress: bool = typer.Option(False, "--progress", help="Show progress bars."),
) -> None:
    """Run every task, the probe, the leaderboard and a gate on generated samples with tiny random models."""
    from ..demo import REAL_DATA_COMMANDS, demo

    start = time.perf_counter()
    console.print("[bold]longbench demo[/]: no downloads; two tiny models with [bold red]random weights[/], "
                  "so every number below is chance level.", highlight=False)
    report = demo(workdir, progress=progress, log=lambda line: console.print(f"  {line}", highlight=False))
    console.print(f"[green]done in {time.perf_counter() - start:.0f} s.[/] Outputs: results {report.results}, "
                  f"leaderboard {report.leaderboard}.", highlight=False)
    console.print("\n[bold]On real data[/] (datasets and weights: see `longbench data status`, `longbench models`):")
    for command in REAL_DATA_COMMANDS:
        console.print(f"  {command}", highlight=False, soft_wrap=True)
