"""Every table longbench prints keeps each name (of a model, a task) whole in an 80-column terminal: columns are
wrapped or left out (the caption says which), never a name cut ("fgclip-ba…")."""

from __future__ import annotations

import re

import pytest
import torch
from typer.testing import CliRunner

from longbench.adapters import MODELS
from longbench.adapters.families.tiny import tiny_state_dict
from longbench.artifacts.results import write_result
from longbench.artifacts.store import result_path
from longbench.cli import app
from longbench.tasks import all_tasks
from tests.helpers.results import make_result, retrieval
from tests.helpers.samples import write_samples

runner = CliRunner()
LONG = "a-fine-tuned-longclip-checkpoint-step-120000"  # 44 characters


def whole(output: str, names: list[str]) -> None:
    for name in names:
        assert re.search(rf"(^|\s){re.escape(name)}(\s|$)", output, re.MULTILINE), f"{name!r} cut:\n{output}"


def invoke(args: list[str], console_width) -> str:
    console_width(80)
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(map(len, result.output.splitlines())) <= 80
    return result.output


def test_models(console_width):
    output = invoke(["models"], console_width)
    whole(output, [name for name, _ in MODELS.items()])
    assert "fgclip-base: opt-in remote code: run it as" in " ".join(output.split())
    assert "opt-in" in output.split("fgclip-base", 1)[1].splitlines()[0]  # its row says opt-in, not "not loadable"
    assert "left out at 80 columns:" in output


@pytest.mark.parametrize("with_data", [False, True])
def test_tasks_and_data_status(tmp_path, console_width, with_data):
    names = [task.meta.name for task in all_tasks()]
    args = ["tasks", "--data-root", str(tmp_path)] if with_data else ["tasks"]
    whole(invoke(args, console_width), names)
    whole(invoke(["data", "status", "--data-root", str(tmp_path)], console_width), names)


def test_run_results_and_gate(tmp_path, console_width):
    root = write_samples(tmp_path / "data", "urban1k", 3, seed=0)
    for stem in (LONG, f"{LONG}-b"):
        torch.save(tiny_state_dict(), tmp_path / f"{stem}.pt")
    output = invoke(["run", "--checkpoint", str(tmp_path / "*.pt"), "-t", "urban1k", "-d", str(root), "-o",
                     str(tmp_path / "results"), "--device", "cpu", "-q"], console_width)
    whole(output, [LONG, f"{LONG}-b", "urban1k"])
    whole(invoke(["results", "--results", str(tmp_path / "results")], console_width), [LONG, f"{LONG}-b"])
    for side, value in (("base", 80.0), ("cand", 70.0)):
        write_result(make_result(LONG, "urban1k", retrieval(value, value)), result_path(tmp_path / side, LONG,
                                                                                      "urban1k"))
    console_width(80)
    result = runner.invoke(app, ["gate", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand")],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 1  # a drop: the table still prints every row
    whole(result.output, [LONG, "urban1k"])


def test_the_names_whole_at_any_width(console_width):
    """The rule, not only 80 columns: narrower still, names stay whole (other columns give way)."""
    for width in (60, 100):
        console_width(width)
        output = runner.invoke(app, ["models"], env={"COLUMNS": str(width)}).output
        whole(output, [name for name, _ in MODELS.items()])


def test_help_shows_no_type_beside_a_flag():
    output = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    overwrite = next(line for line in output.splitlines() if "--overwrite" in line)
    assert "<bool>" not in output and "bool" not in overwrite
    assert "<str>" in next(line for line in output.splitlines() if "--device" in line)  # values keep their type
