"""`longbench doctor`: one green or red line per check of this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..doctor import doctor
from ._app import app, console, friendly_errors


@app.command("doctor")
@friendly_errors
def doctor_command(
    data_root: Annotated[Path | None, typer.Option(
        "--data-root", "-d", help="Also check which datasets are present here.")] = None,
) -> None:
    """Versions, device, cache and weights folders, which models have local weights, which datasets are present."""
    for check in doctor(data_root):
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        console.print(f"{mark} [bold]{escape(check.name)}[/]: {escape(check.detail)}", highlight=False,
                      soft_wrap=True)
