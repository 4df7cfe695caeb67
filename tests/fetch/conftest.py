"""Fixtures for the fetch tests: a local HTTP server with Range support and tiny archives in the real formats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from longbench.tasks import get_task

from .helpers import Server, serve, tar_folder, zip_folder


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as running:
        yield running


@pytest.fixture(autouse=True)
def _no_fetch_env(monkeypatch: pytest.MonkeyPatch, console_width) -> None:
    """No mirror from the environment leaks into a test; wide output so table cells are not folded."""
    import os

    for key in list(os.environ):
        if key.startswith("LONGBENCH_FETCH_"):
            monkeypatch.delenv(key)
    console_width(300)


@pytest.fixture
def urban_zip(tmp_path: Path) -> bytes:
    """A 3-pair Urban1k.zip in the published shape: Urban1k/image/<n>.jpg and Urban1k/caption/<n>.txt."""
    folder = tmp_path / "urban-src"
    get_task("urban1k").write_sample(folder, 3)
    return zip_folder(folder, "Urban1k")


@pytest.fixture
def cifar10_tgz(tmp_path: Path) -> bytes:
    """cifar-10-python.tar.gz with cifar-10-batches-py/test_batch + batches.meta as Python-2 pickles."""
    folder = tmp_path / "cifar-src"
    get_task("cifar10").write_sample(folder, 6)
    return tar_folder(folder / "cifar-10-batches-py", "cifar-10-batches-py")
