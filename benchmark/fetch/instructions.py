"""Instructions for datasets that cannot be downloaded without an account or a licence form."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ..tasks import get_task
from .sources import MANUAL, Manual, manual_for_task


class ManualFetchError(DataError):
    """`fetch` was asked for a dataset that needs an account: the message is the instructions."""


def _manual(name: str) -> Manual | None:
    return MANUAL.get(name) if name in MANUAL else manual_for_task(name)


def manual_instructions(name: str, data_root: Path | None = None) -> str | None:
    """Where to get dataset `name` by hand and where to put it, or None if it is not an account-only dataset."""
    manual = _manual(name)
    if manual is None:
        return None
    lines = [f"{manual.name} cannot be downloaded automatically (it needs an account or a licence form):",
             f"  1. get it from: {manual.site}",
             f"  2. files: {manual.files}"]
    for task_name in manual.tasks:
        task = get_task(task_name)
        root = task.root(data_root) if data_root is not None else Path("<data-root>") / task.meta.subdir
        lines.append(f"  3. {manual.steps.replace('<root>', str(root))}")
        lines.append(f"     expected layout under {root}: {task.meta.layout}")
        lines.append(f"     licence: {task.meta.licence}")
    lines.append(f"  then check it with: longbench data verify {manual.tasks[0]}")
    return "\n".join(lines)
