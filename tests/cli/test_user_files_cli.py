"""Every file a user names is checked to be a regular file before it is opened: a FIFO in its place is refused in
one line (exit 2), never opened, so a command never hangs on it."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.tasks import get_task


def urban(tmp: Path) -> list[str]:
    get_task("urban1k").write_sample(tmp / "data" / "Urban1k", 3)
    get_task("cifar10").write_sample(tmp / "data" / "cifar10", 3)
    return ["run", "-m", "tiny-clip", "-t", "cifar10", "-d", str(tmp / "data"), "-o", str(tmp / "results"),
            "--device", "cpu", "-q"]


CASES: dict[str, tuple[Callable[[Path, Path], list[str]], str]] = {
    "templates": (lambda tmp, fifo: [*urban(tmp), "--templates", str(fifo)], r"--templates .*fifo\.json: is a FIFO"),
    "references": (lambda tmp, fifo: ["leaderboard", "--results", str(tmp), "--references", str(fifo), "--out",
                                      str(tmp / "board.md")], r"--references .*fifo\.json: is a FIFO"),
    "compare": (lambda tmp, fifo: ["probe", "--compare", str(fifo), "--plot-out", str(tmp / "c.png")],
                r"probe file .*fifo\.json: is a FIFO"),
    "result-file": (lambda tmp, fifo: ["gate", "--baseline", str(fifo), "--candidate", str(fifo)],
                    r"result file .*fifo\.json: is a FIFO"),
    "checkpoint": (lambda tmp, fifo: ["embed", "--checkpoint", str(fifo), "--text", "a", "--out", str(tmp / "v.npy")],
                   r"checkpoint .*fifo\.json: is a FIFO"),
    "image": (lambda tmp, fifo: ["embed", "-m", "tiny-clip", "--image", str(fifo), "--device", "cpu"],
              r"--image .*fifo\.json: is a FIFO"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_fifo_a_user_names_is_refused_without_hanging(tmp_path, case):
    build, message = CASES[case]
    fifo = tmp_path / "m" / "fifo.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    args = build(tmp_path, fifo)
    done: list = []
    worker = threading.Thread(target=lambda: done.append(CliRunner().invoke(app, args, env={"COLUMNS": "300"})),
                              daemon=True)
    worker.start()
    worker.join(60)
    if worker.is_alive():  # it opened the FIFO and blocks: release it, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"{case}: the command blocked on the FIFO")
    result = done[0]
    assert result.exit_code == 2, result.output
    assert re.search(message, " ".join(result.output.split())), result.output
