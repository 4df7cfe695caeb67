"""One baseline against several candidate models (the checkpoints of a training run) in one gate table."""

from __future__ import annotations

from typer.testing import CliRunner

from longbench.cli import app
from longbench.report import gate, load_results
from tests.helpers.results import retrieval

runner = CliRunner()


def test_every_checkpoint_is_gated_against_the_one_baseline(tmp_path, write):
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    write("base", "longclip-B", "coco", retrieval(50.0, 40.0))
    for step, t2i in (("ckpt-1000", 79.0), ("ckpt-2000", 77.0)):
        write("cand", step, "urban1k", retrieval(80.0, t2i))
        write("cand", step, "coco", retrieval(50.0, 40.0))
    report = gate(load_results([tmp_path / "base"]), load_results([tmp_path / "cand"]))
    assert {(r.model, r.task) for r in report.rows} == {(m, t) for m in ("ckpt-1000", "ckpt-2000")
                                                        for t in ("urban1k", "coco")}
    assert {(r.model, r.metric) for r in report.failures} == {("ckpt-2000", f"t2i_r{k}") for k in (1, 5, 10)}
    result = runner.invoke(app, ["gate", "--baseline", str(tmp_path / "base"), "--candidate",
                                 str(tmp_path / "cand" / "ckpt-1000"), "--candidate",
                                 str(tmp_path / "cand" / "ckpt-2000")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "ckpt-1000" in result.output and "ckpt-2000" in result.output and "FAILED (3 metric(s)" in result.output


def test_a_checkpoint_missing_a_task_is_reported(tmp_path, write):
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    write("base", "longclip-B", "coco", retrieval(50.0, 40.0))
    write("cand", "ckpt-1000", "urban1k", retrieval(80.0, 79.0))
    write("cand", "ckpt-1000", "coco", retrieval(50.0, 40.0))
    write("cand", "ckpt-2000", "urban1k", retrieval(80.0, 79.0))
    result = runner.invoke(app, ["gate", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand")])
    assert result.exit_code == 2 and "coco" in result.output and "no counterpart in the candidate" in result.output
