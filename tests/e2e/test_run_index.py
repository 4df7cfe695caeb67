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
    expected = independent_metrics("tiny-clip", "coco", data_root)
    exact_ranks_only = {"i2t_mrr", "t2i_mrr", "i2t_median_rank", "t2i_median_rank"}
    assert set(res.metrics) == set(expected) - exact_ranks_only
    for name, value in res.metrics.items():
        assert value == pytest.approx(expected[name], abs=1e-9), name


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


def test_recall_k_and_rank_metrics_through_the_cli(data_root, tmp_path):
    """`--recall-k 2,20` gives Recall@2 and @20 (and only those), and MRR, nDCG@10 and the median rank equal a
    brute-force computation; a top-k index leaves MRR and the median out and says why in the result."""
    out = tmp_path / "dense"
    args = ["run", "-m", "tiny-clip", "-t", "urban1k", "--data-root", str(data_root), "-q", "--no-cache"]
    result = CliRunner().invoke(app, [*args, "-o", str(out), "--recall-k", "20,2"])
    assert result.exit_code == 0, result.output
    metrics = read_result(out / "tiny-clip" / "urban1k.json").metrics
    expected = independent_metrics("tiny-clip", "urban1k", data_root)
    assert {m for m in metrics if "_r" in m and m.split("_r")[1].isdigit()} == {"i2t_r2", "i2t_r20", "t2i_r2",
                                                                              "t2i_r20"}
    for name in ("i2t_mrr", "t2i_mrr", "i2t_ndcg10", "t2i_ndcg10", "i2t_median_rank", "t2i_median_rank"):
        assert metrics[name] == pytest.approx(expected[name], abs=1e-9), name
    top = tmp_path / "top"
    assert CliRunner().invoke(app, [*args, "-o", str(top), "--index", "chunked"]).exit_code == 0
    chunked = read_result(top / "tiny-clip" / "urban1k.json")
    assert "i2t_mrr" not in chunked.metrics and chunked.metrics["i2t_ndcg10"] == pytest.approx(metrics["i2t_ndcg10"])
    assert any("MRR and median rank left out: --index chunked" in w for w in chunked.task.warnings)
    bad = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "bad"), "--recall-k", "0"])
    assert bad.exit_code == 2 and "--recall-k" in bad.output and not (tmp_path / "bad").exists()
