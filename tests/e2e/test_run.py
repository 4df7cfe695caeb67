"""`longbench run` end to end on generated Urban1k- and COCO-format data, checked against an independent computation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from longbench.artifacts.results import SCHEMA_VERSION, read_result
from longbench.cli import app
from longbench.metrics.registry import metrics_of
from longbench.runner import RunConfig, run
from longbench.tasks import get_task
from tests.helpers.samples import write_samples
from tests.reference_metrics import independent_metrics

runner = CliRunner()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    tasks = "retrieval,urban-200,sharegpt4v-10k,coco-karpathy,flickr30k-full"
    return write_samples(tmp_path_factory.mktemp("data"), tasks, 10, seed=3)


@pytest.mark.slow
def test_run_writes_valid_results_equal_to_an_independent_computation(data_root, tmp_path):
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", "--model", "tiny-longclip", "--tasks", "urban1k,coco", "--data-root",
                                 str(data_root), "--output", str(out), "--batch-size", "4", "-q", "--bootstrap", "20"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Recall@K" in result.output and "wrote" in result.output
    for task in ("urban1k", "coco"):
        path = out / "tiny-longclip" / f"{task}.json"
        raw = json.loads(path.read_text())
        assert raw["schema_version"] == SCHEMA_VERSION and raw["kind"] == "retrieval"
        res = read_result(path)
        assert list(res.metrics) == [m.name for m in metrics_of("retrieval")]
        expected = independent_metrics("tiny-longclip", task, data_root)
        for name, value in expected.items():
            assert res.metrics[name] == pytest.approx(value, abs=1e-9), name
            low, high = res.ci[name]
            assert low <= res.metrics[name] <= high
        assert res.model.context_length == 248 and res.model.pos_embed_kind == "longclip248"
        assert res.model.checkpoint_sha256
        assert res.task.fingerprint.startswith("sha256:")
        assert res.environment["device"] == "cpu" and res.environment["dtype"] == "float32"
        assert {"load", "encode_images", "encode_texts", "metrics"} <= set(res.timings)
        assert res.bootstrap == {"samples": 20, "seed": 0}
    urban = read_result(out / "tiny-longclip" / "urban1k.json")
    assert urban.task.counts["empty_captions"] == 1
    assert urban.truncation.n_truncated >= 1 and urban.truncation.max_tokens_lost > 0
    assert ">248" in urban.by_length and sum(b["n_texts"] for b in urban.by_length.values()) == urban.task.n_texts
    assert urban.task.expected_images == 1000 and urban.task.subset  # a 10-image sample of a 1000-image protocol
    coco = read_result(out / "tiny-longclip" / "coco.json")
    assert coco.task.n_texts > coco.task.n_images


@pytest.mark.parametrize("task", ["urban-200", "sharegpt4v-1k", "sharegpt4v-10k",
                                  pytest.param("coco-karpathy", marks=pytest.mark.slow), "flickr30k",
                                  pytest.param("flickr30k-full", marks=pytest.mark.slow)])
def test_every_retrieval_task_equals_an_independent_computation(task, data_root, tmp_path):
    [done] = run("tiny-clip", task, RunConfig(data_root=data_root, output=tmp_path, batch_size=3, progress=False))
    assert done.path == tmp_path / "tiny-clip" / f"{task}.json"
    for name, value in independent_metrics("tiny-clip", task, data_root).items():
        assert done.result.metrics[name] == pytest.approx(value, abs=1e-9), name


def test_a_77_token_model_counts_truncation(data_root, tmp_path):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "urban1k", "-d", str(data_root), "-o",
                                 str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    res = read_result(tmp_path / "tiny-clip" / "urban1k.json")
    assert res.truncation.n_truncated > res.task.n_texts // 2


def test_limit_is_recorded(data_root, tmp_path):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "coco", "-d", str(data_root), "-o", str(tmp_path),
                                 "--limit", "4", "-q"])
    assert result.exit_code == 0, result.output
    res = read_result(tmp_path / "tiny-clip" / "coco.json")
    assert res.task.limit == 4 and res.task.n_images == 4
    assert res.task.subset and res.task.expected_images == 5000


def test_task_root_given_on_its_own(data_root, tmp_path):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "urban1k", "--root",
                                 f"urban1k={data_root / 'Urban1k'}", "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output


def test_bad_image_fails_the_task_and_writes_nothing_unless_skipped(data_root, tmp_path):
    root = tmp_path / "data"
    get_task("urban1k").write_sample(root / "Urban1k", 6)
    (root / "Urban1k" / "image" / "3.jpg").write_bytes(b"not an image")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "urban1k", "-d", str(root), "-o", str(out), "-q"])
    assert result.exit_code == 2
    assert "3.jpg" in result.output and "--skip-bad-images" in result.output
    assert not list(out.rglob("*.json"))
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "urban1k", "-d", str(root), "-o", str(out), "-q",
                                 "--skip-bad-images"])
    assert result.exit_code == 0, result.output
    res = read_result(out / "tiny-clip" / "urban1k.json")
    assert res.task.n_images == 5 and res.task.n_texts == 5
    assert len(res.task.skipped) == 1 and "3.jpg" in res.task.skipped[0]


@pytest.mark.parametrize("args,message", [
    (["-t", "urban1k", "-d", "/nonexistent"], "Urban1k"),
    (["-t", "urbanlk", "-d", "."], "unknown task 'urbanlk'"),
    (["-t", "urban1k"], "no --data-root given"),
    (["-t", "urban1k", "-d", ".", "--root", "urban1k"], "expected TASK=PATH"),
    (["-t", "urban1k", "-d", ".", "--limit", "0"], "--limit must be at least 1"),
])
def test_bad_run_input(args, message, tmp_path):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-o", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not list(tmp_path.rglob("*.json"))


def test_layout_error_comes_before_any_encoding(data_root, tmp_path, monkeypatch):
    """A missing second task fails the run before the first one is encoded or written."""
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "urban1k,imagenet", "-d", str(data_root),
                                 "-o", str(tmp_path), "-q"])
    assert result.exit_code == 2 and "imagenet" in result.output
    assert not list(tmp_path.rglob("*.json"))


def test_run_then_gate_in_one_command(data_root, tmp_path):
    base = tmp_path / "base"
    args = ["run", "-m", "tiny-clip", "-t", "urban1k", "-d", str(data_root), "-q"]
    assert runner.invoke(app, [*args, "-o", str(base)]).exit_code == 0
    same = runner.invoke(app, [*args, "-o", str(tmp_path / "again"), "--gate", str(base)])
    assert same.exit_code == 0, same.output
    assert "PASSED" in same.output
    path = base / "tiny-clip" / "urban1k.json"
    raw = json.loads(path.read_text())
    raw["metrics"]["t2i_r1"] += 1.5  # the baseline was better than this run by more than the tolerance
    path.write_text(json.dumps(raw))
    worse = runner.invoke(app, [*args, "-o", str(tmp_path / "third"), "--gate", str(base), "--tolerance", "1"])
    assert worse.exit_code == 1
    assert "FAILED" in worse.output and "t2i_r1" in worse.output


def test_results_can_be_filed_under_another_name(data_root, tmp_path, clip_state):
    ckpt = tmp_path / "epoch_10.pt"
    torch.save(clip_state, ckpt)
    args = ["run", "-c", str(ckpt), "-t", "urban1k", "-d", str(data_root), "-o", str(tmp_path / "r"), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "r" / "epoch_10" / "urban1k.json").is_file()
    assert runner.invoke(app, [*args, "--name", "run-a/epoch-10"]).exit_code == 0
    res = read_result(tmp_path / "r" / "run-a_epoch-10" / "urban1k.json")
    assert res.model.name == "run-a/epoch-10" and res.model.checkpoint == str(ckpt)
