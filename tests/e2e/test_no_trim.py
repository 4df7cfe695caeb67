"""`--no-trim`: every text batch padded to the full context gives the trimmed path's metrics, and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.probe import probe
from longbench.runner import RunConfig
from longbench.tasks import get_task


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    get_task("urban1k").write_sample(root / "Urban1k", 6)
    return root


def test_run_no_trim_gives_the_same_metrics_and_records_it(data_root, tmp_path):
    runner = CliRunner()
    results = {}
    for flag in ([], ["--no-trim"]):
        out = tmp_path / ("full" if flag else "trimmed")
        args = ["run", "-m", "tiny-longclip", "-t", "urban1k", "-d", str(data_root), "-o", str(out), "-q",
                "--device", "cpu", "--batch-size", "2", "--cache-dir", str(tmp_path / "cache"), *flag]
        assert runner.invoke(app, args).exit_code == 0
        results[bool(flag)] = json.loads((out / "tiny-longclip" / "urban1k.json").read_text())
    trimmed, full = results[False], results[True]
    assert full["metrics"] == trimmed["metrics"] and full["by_length"] == trimmed["by_length"]
    assert trimmed["environment"]["text_batches"] == "trimmed"
    assert full["environment"]["text_batches"] == "full context"
    # Padded batches are other batches, except where a trimmed batch already spanned the whole context.
    assert full["environment"]["embedding_cache"].endswith("text batches 2 cached / 3")


def test_probe_no_trim_gives_the_same_curve(data_root, tmp_path):
    def curve(trim: bool):
        config = RunConfig(data_root=data_root, output=tmp_path, device="cpu", progress=False, cache=False, trim=trim)
        result = probe("tiny-longclip", "urban1k", config, lengths=[5, 20, 80])
        return result.points, result.full, result.environment["text_batches"]

    trimmed, full = curve(True), curve(False)
    assert full[:2] == trimmed[:2]
    assert (trimmed[2], full[2]) == ("trimmed", "full context")
