"""`longbench gate` and gate(): exit codes 0/1/2, tolerance edge, significance, summary and JUnit outputs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.report import GateInputError, gate, load_results
from tests.helpers.results import IMPORTED_FROM, retrieval

runner = CliRunner()


def _gate(tmp_path, *extra: str):
    args = ["gate", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"), *extra]
    return runner.invoke(app, args)


def _pair(write, base: dict, cand: dict, task: str = "urban1k", **fields):
    write("base", "longclip-B", task, base, **fields)
    write("cand", "longclip-B", task, cand, **fields)


def test_pass_when_nothing_drops(tmp_path, write):
    _pair(write, retrieval(80.0, 79.0), retrieval(80.5, 79.0))
    result = _gate(tmp_path)
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output and "i2t_r10" in result.output


def test_fail_when_one_metric_drops_just_beyond_tolerance(tmp_path, write):
    cand = retrieval(80.0, 79.0) | {"t2i_r1": 77.99}
    _pair(write, retrieval(80.0, 79.0), cand)
    result = _gate(tmp_path, "--tolerance", "1.0")
    assert result.exit_code == 1, result.output
    assert "FAILED (1 metric(s) dropped)" in result.output


def test_drop_equal_to_tolerance_passes_despite_float_noise(tmp_path, write):
    _pair(write, retrieval(80.3, 79.0), retrieval(79.3, 78.0))  # 79.3 - 80.3 = -1.0000000000000142
    assert _gate(tmp_path, "--tolerance", "1").exit_code == 0


def test_metrics_and_tasks_filters(tmp_path, write):
    _pair(write, retrieval(80.0, 79.0), retrieval(80.0, 70.0))
    _pair(write, {"acc1": 70.0}, {"acc1": 60.0}, task="imagenet")
    assert _gate(tmp_path, "--metrics", "i2t_r1,i2t_r5", "--tasks", "urban1k").exit_code == 0
    assert _gate(tmp_path, "--tasks", "imagenet").exit_code == 1
    missing = _gate(tmp_path, "--metrics", "nope")
    assert missing.exit_code == 2 and "--metrics nope" in missing.output


def test_missing_task_on_one_side_exits_2_unless_allowed(tmp_path, write):
    _pair(write, retrieval(80.0, 79.0), retrieval(80.0, 79.0))
    write("base", "longclip-B", "imagenet", {"acc1": 70.0})
    result = _gate(tmp_path)
    assert result.exit_code == 2
    assert "imagenet" in result.output and "no counterpart in the candidate" in result.output
    allowed = _gate(tmp_path, "--allow-missing")
    assert allowed.exit_code == 0 and "MISSING" in allowed.output


def test_protocol_mismatch_exits_2(tmp_path, write):
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    write("cand", "longclip-B", "urban1k", retrieval(80.0, 79.0), protocol="urban1k v2")
    result = _gate(tmp_path)
    assert result.exit_code == 2 and "differ in protocol" in result.output and "Traceback" not in result.output


def test_limit_mismatch_is_a_protocol_mismatch(tmp_path, write):
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0), limit=200)
    write("cand", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    result = _gate(tmp_path)
    assert result.exit_code == 2 and "differ in limit" in result.output


def test_schema_mismatch_exits_2(tmp_path, write):
    _pair(write, retrieval(80.0, 79.0), retrieval(80.0, 79.0))
    path = tmp_path / "cand" / "longclip-B" / "urban1k.json"
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    result = _gate(tmp_path)
    assert result.exit_code == 2 and "schema_version 99 was written by a newer longbench" in result.output


def test_missing_baseline_path_exits_2(tmp_path, write):
    write("cand", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    result = _gate(tmp_path)
    assert result.exit_code == 2 and "no such result file or directory" in result.output


def test_single_models_pair_by_task_and_files_work(tmp_path, write):
    base = write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    cand = write("cand", "my-checkpoint", "urban1k", retrieval(79.5, 79.0))
    result = runner.invoke(app, ["gate", "--baseline", str(base), "--candidate", str(cand)])
    assert result.exit_code == 0, result.output


def test_significance_uses_intervals(tmp_path, write):
    ci_base = {"i2t_r1": [78.0, 82.0]}
    write("base", "longclip-B", "urban1k", {"i2t_r1": 80.0}, ci=ci_base)
    write("cand", "longclip-B", "urban1k", {"i2t_r1": 76.0}, ci={"i2t_r1": [74.0, 78.5]})
    assert _gate(tmp_path).exit_code == 1  # a 4-point drop fails the default tolerance
    assert _gate(tmp_path, "--significance").exit_code == 0  # but the intervals overlap
    write("cand", "longclip-B", "urban1k", {"i2t_r1": 75.0}, ci={"i2t_r1": [73.0, 77.9]})
    assert _gate(tmp_path, "--significance").exit_code == 1


def test_significance_without_intervals_exits_2(tmp_path, write):
    _pair(write, {"i2t_r1": 80.0}, {"i2t_r1": 80.0})
    result = _gate(tmp_path, "--significance")
    assert result.exit_code == 2 and "baseline longclip-B/urban1k.json has no bootstrap interval" in result.output


def test_summary_and_junit_are_written_and_well_formed(tmp_path, write):
    _pair(write, retrieval(80.0, 79.0), retrieval(80.0, 79.0) | {"t2i_r1": 77.0})
    summary, junit = tmp_path / "summary.md", tmp_path / "junit.xml"
    result = _gate(tmp_path, "--summary", str(summary), "--junit", str(junit))
    assert result.exit_code == 1
    text = summary.read_text()
    assert (
        text.startswith("## longbench gate FAILED")
        and "| longclip-B | urban1k | t2i_r1 | 79.00 | 77.00 | -2.00 |" in text
    )
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "6" and suite.get("failures") == "1"
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ["t2i_r1"]


def test_summary_dash_appends_to_github_step_summary(tmp_path, write, monkeypatch):
    _pair(write, retrieval(80.0, 79.0), retrieval(80.0, 79.0))
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    assert _gate(tmp_path, "--summary", "-").exit_code == 0
    assert step.read_text().startswith("earlier step\n## longbench gate PASSED")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    result = _gate(tmp_path, "--summary", "-")
    assert result.exit_code == 2 and "GITHUB_STEP_SUMMARY is not set" in result.output


def test_library_gate_reports_rows(tmp_path, write):
    _pair(write, retrieval(80.0, 79.0), retrieval(81.0, 79.0))
    report = gate(load_results(tmp_path / "base"), load_results(tmp_path / "cand"), tolerance=0.5)
    assert report.passed and report.exit_code == 0
    assert [(r.metric, r.delta) for r in report.rows][:2] == [("i2t_r1", 1.0), ("i2t_r5", 1.0)]
    with pytest.raises(GateInputError, match="--tolerance -1"):
        gate(load_results(tmp_path / "base"), load_results(tmp_path / "cand"), tolerance=-1)


def test_gate_runs_gates_the_written_files_on_their_tasks_only(tmp_path, write):
    from longbench.cli.report import gate_runs

    write("base", "longclip-B", "imagenet", {"acc1": 70.0})  # not re-run: not compared
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    written = write("cand", "longclip-B", "urban1k", retrieval(80.0, 77.0))
    assert gate_runs(tmp_path / "base", [written], 1.0) == 1
    assert gate_runs(tmp_path / "base", [written], 5.0) == 0


def test_file_paths_are_named_model_slash_task(tmp_path, write):
    path = write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    other = write("s", "clip-B", "imagenet", {"acc1": 1.0})
    assert [r.path for r in load_results([path, other]).results] == ["clip-B/imagenet.json", "clip-B/urban1k.json"]


@pytest.mark.parametrize("side", ["base", "cand"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_non_finite_metric_on_either_side_fails(tmp_path, write, side, bad):
    good = retrieval(80.0, 79.0)
    _pair(write, good | ({"t2i_r1": bad} if side == "base" else {}), good | ({"t2i_r1": bad} if side == "cand" else {}))
    for extra in ((), ("--tolerance", "100"), ("--allow-missing",)):
        result = _gate(tmp_path, *extra)
        assert result.exit_code == 1, result.output
        assert "non-finite" in result.output and "FAIL" in result.output


def test_a_non_finite_metric_present_on_one_side_only_fails_even_with_allow_missing(tmp_path, write):
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    write("cand", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    write("cand", "longclip-B", "coco", retrieval(float("nan"), 10.0))
    report = gate(load_results([tmp_path / "base"]), load_results([tmp_path / "cand"]), allow_missing=True)
    assert not report.passed and {r.task for r in report.failures} == {"coco"}


def test_a_non_finite_interval_fails_under_significance(tmp_path, write):
    ci = {m: [70.0, 90.0] for m in retrieval(80.0, 79.0)}
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0), ci=ci)
    write("cand", "longclip-B", "urban1k", retrieval(80.0, 79.0), ci=ci | {"i2t_r1": [float("nan"), 90.0]})
    result = _gate(tmp_path, "--significance")
    assert result.exit_code == 1 and "non-finite" in result.output


@pytest.mark.parametrize("tolerance", ["nan", "inf", "-inf", "-1"])
def test_a_non_finite_or_negative_tolerance_is_refused(tmp_path, write, tolerance):
    _pair(write, retrieval(80.0, 79.0), retrieval(10.0, 9.0))
    result = _gate(tmp_path, "--tolerance", tolerance)
    assert result.exit_code == 2 and "--tolerance" in result.output and "finite number" in result.output


@pytest.mark.parametrize("extra", [[], ["--allow-missing"], ["--significance"]])
def test_different_task_versions_exit_2_naming_both(tmp_path, write, extra):
    write("base", "longclip-B", "urban1k", retrieval(80.0, 79.0), task_version=1)
    write("cand", "longclip-B", "urban1k", retrieval(80.0, 79.0), task_version=2)
    result = _gate(tmp_path, *extra)
    assert result.exit_code == 2, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("error:"))
    assert "under task version 1" in line and "under task version 2" in line and "cannot be compared" in line
    assert "PASSED" not in result.output and "FAILED" not in result.output


def test_version_1_files_gate_against_current_ones(tmp_path):
    """Old (schema 1) baseline files are read, upgraded and gated like new ones."""
    from pathlib import Path

    from longbench.artifacts.results import read_result, write_result
    from longbench.artifacts.store import result_path

    fixtures = Path(__file__).parents[1] / "fixtures" / "results" / "v1"
    for task in ("urban1k", "cifar10"):
        write_result(read_result(fixtures / "tiny-longclip" / f"{task}.json"),
                     result_path(tmp_path / "new", "tiny-longclip", task))
    result = runner.invoke(app, ["gate", "--baseline", str(fixtures / "tiny-longclip"),
                                 "--candidate", str(tmp_path / "new" / "tiny-longclip")])
    assert result.exit_code == 0, result.output
    assert "PASSED: 9 metric(s) compared" in result.output
    different = runner.invoke(app, ["gate", "--baseline", str(fixtures / "tiny-clip"),
                                    "--candidate", str(fixtures / "tiny-longclip"), "--tolerance", "0"])
    assert different.exit_code in (0, 1) and "metric(s) compared" in different.output, different.output


@pytest.mark.parametrize(("cand", "code"), [(6.0, 0), (7.0, 0), (7.01, 1), (1.0, 0)])
def test_a_lower_is_better_metric_fails_when_it_rises(tmp_path, write, cand, code):
    """The median rank (registry: lower is better): a rise beyond the tolerance is the drop; a fall passes."""
    _pair(write, {"t2i_median_rank": 6.0}, {"t2i_median_rank": cand})
    result = _gate(tmp_path, "--tolerance", "1")
    assert result.exit_code == code, result.output


def test_a_lower_is_better_metric_fails_significance_when_its_interval_lies_above(tmp_path, write):
    write("base", "longclip-B", "urban1k", {"t2i_median_rank": 5.0}, ci={"t2i_median_rank": [4.0, 6.0]})
    write("cand", "longclip-B", "urban1k", {"t2i_median_rank": 6.5}, ci={"t2i_median_rank": [5.5, 7.0]})
    assert _gate(tmp_path, "--significance").exit_code == 0  # overlapping
    write("cand", "longclip-B", "urban1k", {"t2i_median_rank": 9.0}, ci={"t2i_median_rank": [6.5, 11.0]})
    assert _gate(tmp_path, "--significance").exit_code == 1
    write("cand", "longclip-B", "urban1k", {"t2i_median_rank": 2.0}, ci={"t2i_median_rank": [1.0, 3.0]})
    assert _gate(tmp_path, "--significance").exit_code == 0  # wholly below: better


def test_imported_results_are_left_out_of_the_gate_with_a_warning(tmp_path, write):
    """Another tool's number is never a measurement of the gate's own: it would otherwise be the candidate here."""
    write("base", "m", "urban1k", retrieval(60.0, 50.0))
    write("cand", "m", "urban1k", retrieval(60.0, 50.0))
    write("cand2", "m", "urban1k", retrieval(10.0, 10.0), origin=IMPORTED_FROM, created="2030-01-01T00:00:00+00:00")
    report = gate(load_results(tmp_path / "base"), load_results([tmp_path / "cand", tmp_path / "cand2"]), 1.0)
    assert report.passed and {r.candidate for r in report.rows} == {60.0, 50.0, 65.0, 55.0, 68.0, 58.0}
    assert report.warnings == ["candidate: 1 imported result(s) left out, measured by another tool "
                               "(cand2/m/urban1k.json)"]


def test_a_side_with_only_imported_results_is_refused_exit_2(tmp_path, write):
    write("base", "m", "urban1k", retrieval(60.0, 50.0))
    write("cand", "m", "urban1k", retrieval(60.0, 50.0), origin=IMPORTED_FROM)
    with pytest.raises(GateInputError, match="candidate: only imported results .*m/urban1k.json"):
        gate(load_results(tmp_path / "base"), load_results(tmp_path / "cand"), 1.0)
    result = CliRunner().invoke(app, ["gate", "--baseline", str(tmp_path / "base"), "--candidate",
                                      str(tmp_path / "cand")])
    assert result.exit_code == 2 and "only imported results" in result.output
