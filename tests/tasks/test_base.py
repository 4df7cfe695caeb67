"""A task whose status check raises shows as incomplete with the reason; a listing never crashes."""

from __future__ import annotations

from pathlib import Path

from longbench.errors import DataError
from longbench.tasks import get_task


def test_an_exception_in_status_becomes_an_incomplete_row(monkeypatch, tmp_path):
    task = get_task("imagenet")

    def broken(root: Path):
        raise TypeError("unhashable type: 'list'")

    monkeypatch.setattr(task, "status", broken)
    status = task.checked_status(tmp_path)
    assert status.state == "incomplete" and status.detail == "cannot check: TypeError: unhashable type: 'list'"
    assert status.expected == task.meta.expected

    def bad_data(root: Path):
        raise DataError("imagenet: something named")

    monkeypatch.setattr(task, "status", bad_data)
    assert task.checked_status(tmp_path).detail == "cannot check: imagenet: something named"
