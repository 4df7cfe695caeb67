"""Several models or checkpoints in one `run` (datasets loaded once), and `--skip-existing`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench import runner as runner_module
from longbench.adapters.families.tiny import tiny_state_dict
from longbench.artifacts.results import read_result
from longbench.cli import app
from longbench.runner import RunConfig, run
from longbench.tasks import get_task
from tests.helpers.checkpoints import save_torch

cli = CliRunner()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    for name in ("urban1k", "coco"):
        get_task(name).write_sample(get_task(name).root(root), 8, seed=4)
    return root


@pytest.fixture
def ckpts(tmp_path) -> Path:
    folder = tmp_path / "ckpts"
    folder.mkdir()
    for step, seed in (("step-1000", 1), ("step-2000", 2)):
        save_torch(tiny_state_dict(seed=seed), folder / f"{step}.pt")
    return folder


def invoke(*args: str):
    return cli.invoke(app, ["run", *args, "-q"], env={"COLUMNS": "200"})


def test_a_checkpoint_glob_evaluates_each_and_loads_the_data_once(data_root, ckpts, tmp_path, monkeypatch):
    loads = []
    real = runner_module._load
    monkeypatch.setattr(runner_module, "_load", lambda task, config: loads.append(task.meta.name) or real(task, config))
    out = tmp_path / "out"
    result = invoke("-c", str(ckpts / "*.pt"), "-t", "urban1k,coco", "-d", str(data_root), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(loads) == ["coco", "urban1k"]  # once each, not once per checkpoint
    assert "step-1000" in result.output and "step-2000" in result.output
    for step in ("step-1000", "step-2000"):
        [alone] = run(None, "urban1k", RunConfig(data_root=data_root, output=tmp_path / "alone", progress=False),
                      checkpoint=ckpts / f"{step}.pt")
        assert read_result(out / step / "urban1k.json").metrics == alone.result.metrics
    assert read_result(out / "step-1000" / "coco.json").metrics != read_result(out / "step-2000" / "coco.json").metrics


def test_several_models(data_root, tmp_path):
    result = invoke("-m", "tiny-clip", "-m", "tiny-longclip", "-t", "urban1k", "-d", str(data_root), "-o",
                    str(tmp_path))
    assert result.exit_code == 0, result.output
    assert all((tmp_path / model / "urban1k.json").is_file() for model in ("tiny-clip", "tiny-longclip"))


def test_skip_existing_keeps_up_to_date_results_only(data_root, ckpts, tmp_path):
    out = tmp_path / "out"
    args = ["-c", str(ckpts / "*.pt"), "-t", "urban1k", "-d", str(data_root), "-o", str(out)]
    assert invoke(*args).exit_code == 0
    created = {p.parent.name: json.loads(p.read_text())["created"] for p in out.rglob("*.json")}
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    again = invoke(*args, "--skip-existing")
    assert again.exit_code == 0, again.output
    assert again.output.count("(up to date)") == 2 and "wrote" not in again.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.json")} == mtimes

    save_torch(tiny_state_dict(seed=3), ckpts / "step-2000.pt")  # the same name, other weights
    (out / "step-1000" / "urban1k.json").write_text("{ not json")  # unreadable: evaluated again
    third = invoke(*args, "--skip-existing", "--overwrite")  # other weights replace a result only when asked
    assert third.exit_code == 0, third.output
    assert third.output.count("wrote") == 2
    assert read_result(out / "step-1000" / "urban1k.json").metrics
    assert json.loads((out / "step-2000" / "urban1k.json").read_text())["created"] >= created["step-2000"]

    limited = invoke(*args, "--skip-existing", "--limit", "4", "--overwrite")  # other data: not up to date
    assert limited.output.count("wrote") == 2


@pytest.mark.parametrize("args,message", [
    (["-c", "nowhere/*.pt"], "no file matches"),
    (["-c", "{ckpts}/*.pt", "--name", "x"], "--name files one model"),
    (["-c", "{ckpts}/*.pt", "-m", "tiny-clip", "-m", "tiny-longclip"], "give one architecture"),
    (["-c", "{ckpts}/step-1000.pt", "-c", "{tmp}/other/step-1000.pt"], "share the name 'step-1000'"),
])
def test_bad_model_lists_are_one_line_errors(args, message, data_root, ckpts, tmp_path):
    (tmp_path / "other").mkdir()
    save_torch(tiny_state_dict(seed=5), tmp_path / "other" / "step-1000.pt")
    args = [a.format(ckpts=ckpts, tmp=tmp_path) for a in args]
    result = invoke(*args, "-t", "urban1k", "-d", str(data_root), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
