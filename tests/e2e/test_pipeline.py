"""The run pipeline: same metrics for any worker count and batch size, the settings used recorded, text encoded
while image workers decode, the model loaded beside the dataset listing, stage timings recorded."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from longbench.adapters.core import loading
from longbench.cli import app
from longbench.encode import Encoder, ImageStream
from longbench.runner import RunConfig, run
from longbench.tasks import get_task

runner = CliRunner()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    get_task("coco").write_sample(root / "coco", 12, seed=5)
    return root


def _run(data_root: Path, out: Path, **settings):
    [done] = run("tiny-clip", "coco", RunConfig(data_root=data_root, output=out, device="cpu", progress=False,
                                                 **settings))
    return done.result


@pytest.mark.slow  # DataLoader worker processes
def test_worker_counts_and_batch_sizes_give_identical_metrics(data_root, tmp_path):
    base = _run(data_root, tmp_path / "a", workers=0, batch_size=64)
    for i, settings in enumerate([{"workers": 2, "batch_size": 3}, {"workers": "auto", "batch_size": "auto"},
                                  {"workers": 1, "batch_size": 1}]):
        other = _run(data_root, tmp_path / str(i), **settings)
        assert other.metrics == base.metrics
        assert other.by_length == base.by_length


@pytest.mark.slow  # DataLoader worker processes
def test_the_settings_used_are_recorded(data_root, tmp_path):
    result = _run(data_root, tmp_path, workers="auto", batch_size="auto")
    assert result.environment["batch_size"] == 64  # auto on CPU
    assert result.environment["workers"] == 0  # auto on a 12-image job
    given = _run(data_root, tmp_path, workers=2, batch_size=5).environment
    assert (given["workers"], given["batch_size"]) == (2, 5)


def test_stage_timings_are_recorded(data_root, tmp_path):
    timings = _run(data_root, tmp_path).timings
    assert {"load", "model_load", "tokenize", "decode", "encode_images", "encode_texts", "metrics"} <= set(timings)
    assert all(t >= 0 for t in timings.values())


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The order in which the encoder's image start, text pass and image collection are called."""
    seen: list[str] = []

    def spy(owner, name):
        original = getattr(owner, name)

        def wrapper(self, *args, **kwargs):
            seen.append(name)
            return original(self, *args, **kwargs)
        monkeypatch.setattr(owner, name, wrapper)

    for owner, name in ((Encoder, "start_images"), (Encoder, "texts"), (ImageStream, "collect")):
        spy(owner, name)
    return seen


@pytest.mark.slow  # DataLoader worker processes
def test_captions_are_encoded_while_images_decode(data_root, tmp_path, calls):
    _run(data_root, tmp_path, workers=2)
    assert calls == ["start_images", "texts", "collect"]


@pytest.mark.slow  # DataLoader worker processes
@pytest.mark.parametrize("workers,order", [(2, ["start_images", "texts", "collect"]),
                                           (0, ["start_images", "collect", "texts"])])
def test_zero_shot_builds_its_classifier_while_image_workers_decode(tmp_path, calls, workers, order):
    # Without workers nothing decodes in the background: images come first, so broken images fail before prompts.
    get_task("cifar10").write_sample(tmp_path / "data" / "cifar10", 12, seed=1)
    config = RunConfig(data_root=tmp_path / "data", output=tmp_path / "out", device="cpu", progress=False,
                       workers=workers, batch_size=4, cache=False)
    [done] = run("tiny-clip", "cifar10", config)
    assert calls == order and done.result.environment["workers"] == workers
    assert done.result.timings["encode_images"] > 0


def test_the_model_loads_beside_the_dataset_listing(data_root, tmp_path, monkeypatch):
    threads = {}
    load_model, load = loading._load, get_task("coco").load

    def spy_model(*args):
        threads["model"] = threading.current_thread()
        return load_model(*args)

    def spy_load(root, options):
        threads["data"] = threading.current_thread()
        return load(root, options)

    monkeypatch.setattr(loading, "_load", spy_model)
    task = get_task("coco")
    monkeypatch.setattr(task, "load", spy_load)
    run("tiny-clip", [task], RunConfig(data_root=data_root, output=tmp_path, progress=False))
    assert threads["data"] is threading.main_thread() and threads["model"] is not threading.main_thread()


def test_captions_of_skipped_images_are_dropped_after_the_overlap(data_root, tmp_path):
    root = tmp_path / "data"
    get_task("coco").write_sample(root / "coco", 6, seed=5)
    bad = sorted((root / "coco" / "val2017").iterdir())[3]  # 5 captions (the sample's image 2 has 4, image 1 six)
    bad.write_bytes(b"not an image")
    result = _run(root, tmp_path / "out", skip_bad_images=True)
    assert result.task.n_images == 5 and result.task.counts["captions_of_skipped_images"] == 5
    assert result.truncation.n_texts == result.task.n_texts == 5 + 5 + 4 + 5 + 5 + 5 - 5


@pytest.mark.parametrize("args,message", [(["--workers", "many"], "--workers 'many'"),
                                          (["--batch-size", "0"], "--batch-size 0")])
def test_bad_settings_through_the_cli(data_root, tmp_path, args, message):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "coco", "-d", str(data_root), "-o", str(tmp_path),
                                 "-q", *args])
    assert result.exit_code == 2
    assert message in result.output and "expected auto or a whole number" in result.output
    assert not any(tmp_path.rglob("*.json"))


def test_decode_mode_through_the_cli(data_root, tmp_path):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "coco", "-d", str(data_root), "-o", str(tmp_path),
                                 "-q", "--device", "cpu", "--decode", "tensor"])
    assert result.exit_code == 0, result.output
    [path] = tmp_path.rglob("coco.json")
    assert json.loads(path.read_text())["environment"]["decode"] == "tensor"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("decode,message", [("gpu", "--decode gpu needs a CUDA device"),
                                            ("nvjpg", "unknown image decoding (--decode) 'nvjpg'")])
def test_bad_decode_modes_through_the_cli(data_root, tmp_path, decode, message):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "coco", "-d", str(data_root), "-o", str(tmp_path),
                                 "-q", "--device", "cpu", "--decode", decode])
    assert result.exit_code == 2 and message in result.output
    assert not any(tmp_path.rglob("*.json"))
