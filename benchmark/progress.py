"""Progress bars for the long steps (rich, on stderr so that stdout stays parseable)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")
_console = Console(stderr=True)


def track(items: Iterable[T], total: int, description: str, enabled: bool = True, unit_size=None) -> Iterator[T]:
    """Iterate `items`, advancing a bar by `unit_size(item)` (default 1) each; silent when not enabled."""
    if not enabled:
        yield from items
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    # Transient: a finished bar disappears, so a 20-chunk prompt encoding does not leave 20 lines behind.
    with Progress(*columns, console=_console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task, unit_size(item) if unit_size else 1)
