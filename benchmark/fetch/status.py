"""`data status`: what is on disk for every task, with its layout, licence and how to obtain it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..tasks import Task, TaskStatus, all_tasks
from .sources import manual_for_task, source_for_task


@dataclass(frozen=True)
class DataStatusRow:
    task: str
    status: TaskStatus
    layout: str
    licence: str
    obtain: str


def obtain_hint(task: Task) -> str:
    """How to get a task's data: the fetch command and/or where to get it by hand (parts behind a licence form)."""
    name = task.meta.name
    hints = []
    source = source_for_task(name)
    if source is not None:
        hints.append(f"longbench data fetch {source.name}" + (f"; {source.note}" if source.note else ""))
    manual = manual_for_task(name)
    if manual is not None:
        hints.append(f"by hand from {manual.site} (`longbench data fetch {manual.name}` prints the steps)")
    return "; ".join(hints) or task.meta.source


def data_status(data_root: Path, tasks: Sequence[Task] | None = None) -> list[DataStatusRow]:
    """One row per task (all registered tasks by default), from each task's own cheap `status` check."""
    rows = []
    for task in all_tasks() if tasks is None else tasks:
        status = task.checked_status(task.root(data_root))
        rows.append(DataStatusRow(task.meta.name, status, task.meta.layout, task.meta.licence, obtain_hint(task)))
    return rows
