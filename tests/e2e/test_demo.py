"""`longbench demo` end to end: the README's first command, on a fresh machine with no downloads."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.report import load_results
from longbench.tasks import all_tasks


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "random weights" in out and "chance level" in out
    assert "longbench run --model longclip-B --tasks long_retrieval --data-root" in out
    results = load_results(tmp_path / "demo" / "results")
    measured = {(r.result.model.name, r.result.task.name) for r in results.results}
    names = {t.meta.name for t in all_tasks() if t.unavailable() is None}
    assert measured == {(m, t) for m in ("tiny-clip", "tiny-longclip") for t in names}
    for task in all_tasks():  # a task whose optional tools are missing here is skipped, saying why
        assert (task.unavailable() is None) == (f"skipped {task.meta.name}:" not in out)
    probe = json.loads((tmp_path / "demo" / "results" / "tiny-longclip" / "probe-urban1k-tokens.json").read_text())
    assert probe["kind"] == "probe" and probe["points"]
    assert (tmp_path / "demo" / "results" / "tiny-longclip" / "probe-urban1k-tokens.png").stat().st_size > 1000
    board = (tmp_path / "demo" / "leaderboard.md").read_text()
    assert "tiny-longclip" in board and "Reported" in board
    assert "gate tiny-longclip against tiny-clip" in out
