"""Rich tables fitted to the terminal: a name (of a model, a task) is never cut, whatever the width.

Rich fits a table to the console by folding wrapped columns and then cropping every column, names included
("fgclip-ba…"): a name that cannot be read cannot be copied into the next command. So name columns never wrap and
are as wide as their longest name, and where the table would still not fit, whole columns are left out, in the
order the caller gives, and the table's caption says which. Imports rich only (no pandas): the CLI's quick
commands use it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def name_column(table: Table, header: str, names: Sequence[str], **options: Any) -> None:
    """Add a column of names (models, tasks): never wrapped or cut, as wide as its longest name."""
    table.add_column(header, no_wrap=True, min_width=max([len(header), *map(len, names)]), **options)


#: The narrowest a column of wrapped text is let become (narrower, its text is a column of fragments).
READABLE = 10


def fit(table: Table, width: int, names: Sequence[str], droppable: Sequence[str]) -> Table:
    """`table`, with columns of `droppable` left out in that order until it fits `width` with each of `names` whole
    and every wrapped column at least READABLE wide (rich would otherwise cut a name, or fold text to slivers);
    the caption says which columns were left out."""
    dropped = []
    for header in droppable:
        if _needed(table) <= width and _names_whole(table, width, names):
            break
        table.columns = [c for c in table.columns if c.header != header]
        dropped.append(header)
    if dropped:
        table.caption = f"left out at {width} columns: {', '.join(dropped)} (a wider terminal shows them)"
    return table


def _needed(table: Table) -> int:
    """The width the table needs: unwrapped columns whole, wrapped ones READABLE (or their widest line), and the
    padding and rules between columns."""
    total = 0
    for column in table.columns:
        lines = [line for cell in (column.header, *column.cells) for line in Text.from_markup(str(cell)).plain.split(
            "\n")]
        widest = max(map(len, lines), default=0)
        total += max(column.min_width or 0, widest) if column.no_wrap else min(widest, READABLE)
    return total + 3 * len(table.columns) + 1


def _names_whole(table: Table, width: int, names: Sequence[str]) -> bool:
    out = io.StringIO()
    title, table.title = table.title, None  # a title may name a model too: only the cells count
    try:
        Console(file=out, width=width, color_system=None, highlight=False).print(table)
    finally:
        table.title = title
    text = out.getvalue()
    return all(f" {name} " in text or f" {name}\n" in text for name in names)
