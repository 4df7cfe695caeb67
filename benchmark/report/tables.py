"""Rendering of frames and rows: markdown tables, rich tables, and the csv/json/markdown exports of `results`.

Everything here is deterministic (no timestamps, fixed number formats) so that generated files are byte-identical
on re-run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich import box
from rich.table import Table

from ..artifacts.atomic import write_text_atomic
from ..terminal_tables import fit, name_column

MISSING = "–"
#: A value a result file holds but that is NaN/Inf: the model's output was invalid (not "not measured").
INVALID = "✗"


def fmt(value: Any, digits: int = 1, signed: bool = False) -> str:
    """A number with fixed decimals (`+` sign when `signed`); None/NaN as an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING
    if isinstance(value, float):
        return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return str(value)


def fmt_measured(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """A result value: None (not measured) as an en dash, NaN/Inf (invalid) as INVALID, else as `fmt`."""
    if value is not None and not math.isfinite(value):
        return INVALID
    return fmt(value, digits, signed)


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()) -> str:
    """A GitHub-flavoured markdown table; `right[i]` right-aligns column i (numbers)."""
    align = [("---:" if i < len(right) and right[i] else "---") for i in range(len(headers))]
    lines = [
        "| " + " | ".join(_escape(h) for h in headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(_escape(str(c)) for c in row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"


def _cell_text(frame: pd.DataFrame, digits: int) -> list[list[str]]:
    return [[fmt(v, digits) for v in row] for row in frame.astype(object).itertuples(index=False)]


def _numeric(frame: pd.DataFrame) -> list[bool]:
    return [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]


def frame_markdown(frame: pd.DataFrame, digits: int = 2) -> str:
    return markdown_table(list(frame.columns), _cell_text(frame, digits), _numeric(frame))


#: Columns of names (of models, tasks) in a frame: never wrapped or cut, so a name can be read and copied.
NAME_COLUMNS = ("model", "task")


def frame_rich(frame: pd.DataFrame, title: str | None = None, digits: int = 2, width: int | None = None) -> Table:
    """A rich table of `frame`: names whole, numbers whole, other text folded; at `width`, the rightmost other
    columns are left out (the caption says which) rather than a name cut."""
    # A light box and whole numbers keep a table readable in an 80-column CI log.
    table = Table(title=title, box=box.SIMPLE_HEAD)
    cells = _cell_text(frame, digits)
    for i, (column, numeric) in enumerate(zip(frame.columns, _numeric(frame), strict=True)):
        values = [row[i] for row in cells]
        if column in NAME_COLUMNS:
            name_column(table, str(column), values)
        elif numeric:
            table.add_column(str(column), justify="right", no_wrap=True, min_width=max(map(len, values), default=1))
        else:
            table.add_column(str(column), overflow="fold", min_width=min(max(map(len, values), default=1), 10))
    for row in cells:
        table.add_row(*row)
    if width is None:
        return table
    names = [v for i, c in enumerate(frame.columns) if c in NAME_COLUMNS for v in (row[i] for row in cells)]
    return fit(table, width, names, [str(c) for c in reversed(frame.columns) if c not in NAME_COLUMNS])


def _to_json(frame: pd.DataFrame) -> str:
    # NaN and pd.NA become null; numbers keep full precision.
    records = [
        {k: (None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v) for k, v in r.items()}
        for r in frame.astype(object).to_dict(orient="records")
    ]
    return json.dumps(records, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


EXPORTERS: dict[str, Callable[[pd.DataFrame], str]] = {
    "csv": lambda frame: frame.to_csv(index=False, lineterminator="\n"),
    "json": _to_json,
    "markdown": frame_markdown,
}


def export_frame(frame: pd.DataFrame, fmt_name: str, path: Path) -> Path:
    """Write `frame` as `fmt_name` (a key of EXPORTERS) to `path`, atomically."""
    write_text_atomic(Path(path), EXPORTERS[fmt_name](frame))
    return Path(path)
