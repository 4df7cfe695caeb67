"""`run --index` and `probe --index`: every ranking backend gives the recalls of an independent computation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.artifacts.results import read_result
from longbench.cli import app
from tests.helpers.samples import write_samples
from tests.reference_metrics import independent_metrics

runner = CliRunner()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return write_samples(tmp_path_factory.mktemp("data"), "coco,urban1k", 12, seed=5)


@pytest.mark.slow
@pytest.mark.parametrize("index", ["chunked", "faiss"])
def test_run_with_a_topk_index_equals_an_independent_computation(index, data_root, tmp_path):
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "coco", "-d", str(data_root), "-o", str(tmp_path),
                                 "-q", "--index", index, "--bootstrap", "10"])
    assert result.exit_code == 0, result.output
    res = read_result(tmp_path / "tiny-clip" / "coco.json")
    for name, value in independent_metrics("tiny-clip", "coco", data_root).items():
        assert res.metrics[name] == pytest.approx(value, abs=1e-9), name


def test_probe_with_faiss_equals_dense(data_root, tmp_path):
    for index in ("dense", "faiss"):
        result = runner.invoke(app, ["probe", "-m", "tiny-clip", "-t", "urban1k", "-d", str(data_root), "-o",
                                     str(tmp_path / index), "-q", "--index", index, "--lengths", "5,20"])
        assert result.exit_code == 0, result.output
    dense, faiss = (json.loads((tmp_path / i / "tiny-clip" / "probe-urban1k-tokens.json").read_text())
                    for i in ("dense", "faiss"))
    assert dense["points"] == faiss["points"] and dense["full"] == faiss["full"]


@pytest.mark.parametrize("command", ["run", "probe"])
def test_unknown_index_is_a_one_line_error(command, data_root, tmp_path):
    result = runner.invoke(app, [command, "-m", "tiny-clip", "-t", "urban1k", "-d", str(data_root), "-o",
                                 str(tmp_path), "-q", "--index", "annoy"])
    assert result.exit_code == 2
    assert "unknown index 'annoy'" in result.output and "Traceback" not in result.output
    assert not list(tmp_path.rglob("*.json"))
