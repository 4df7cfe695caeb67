"""longbench export: each format read back by the tool's own reader where it is installed (CLIP_benchmark's build is
a test dependency; mteb is not: its reader runs only where mteb is importable, its exact format is checked always)."""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from longbench.artifacts.results import Origin
from longbench.cli import app
from longbench.errors import DataError, UnknownNameError
from longbench.report.exports import EXPORT_FORMATS, export
from tests.helpers.results import IMPORTED_FROM, retrieval

RANKS = {"i2t_mrr": 70.0, "t2i_mrr": 60.0, "i2t_mrr10": 69.0, "t2i_mrr10": 59.0, "i2t_ndcg10": 75.0,
         "t2i_ndcg10": 65.0, "i2t_median_rank": 1.0, "t2i_median_rank": 2.0}
CLIP = {"prompts": "clip"}


@pytest.fixture
def results(tmp_path, write):
    write("r", "clip-B", "flickr30k", {**retrieval(80.0, 60.0), **RANKS})
    write("r", "clip-B", "urban1k", {**retrieval(50.0, 40.0), **RANKS})
    write("r", "clip-B", "cifar10", {"acc1": 90.0, "acc5": 99.0, "mean_per_class_recall": 89.5}, **CLIP)
    write("r", "clip-B", "imagenet", {"acc1": 68.0}, prompts="imagenet80")
    write("r", "longclip-B", "urban1k", {**retrieval(70.0, 45.0), **RANKS}, ci={"i2t_r1": [68.0, 72.0]})
    write("r", "imported-model", "urban1k", retrieval(99.0, 99.0), origin=IMPORTED_FROM)
    return tmp_path / "r"


def test_every_format_is_registered():
    assert list(EXPORT_FORMATS) == ["clip-benchmark", "csv", "hf", "latex", "mteb"]


def test_clip_benchmark_export_is_read_by_clip_benchmark_build(results, tmp_path):
    from clip_benchmark.cli import main_build

    done = export("clip-benchmark", results, tmp_path / "cb")
    names = sorted(p.name for p in done.written)
    assert names == ["cifar10_clip-B_ViT-B-16_en_zeroshot_classification.json",
                     "flickr30k_clip-B_ViT-B-16_en_zeroshot_retrieval.json",
                     "imagenet_clip-B_ViT-B-16_en_zeroshot_classification.json",
                     "urban1k_clip-B_ViT-B-16_en_zeroshot_retrieval.json",
                     "urban1k_longclip-B_ViT-B-16_en_zeroshot_retrieval.json"]
    flickr = json.loads((tmp_path / "cb" / names[1]).read_text())
    assert flickr == {"dataset": "flickr30k", "model": "ViT-B-16", "pretrained": "clip-B", "task": "zeroshot_retrieval",
                      "metrics": {"text_retrieval_recall@1": 0.8, "text_retrieval_recall@5": 0.85,
                                  "text_retrieval_recall@10": 0.88, "image_retrieval_recall@1": 0.6,
                                  "image_retrieval_recall@5": 0.65, "image_retrieval_recall@10": 0.68},
                      "language": "en"}
    # imagenet under imagenet80 prompts is not CLIP_benchmark's protocol: longbench's name, and a note saying so.
    assert json.loads((tmp_path / "cb" / names[2]).read_text())["longbench_note"].startswith("CLIP_benchmark has no")
    assert sorted(n.split(":")[0] for n in done.notes) == ["imagenet", "urban1k", "urban1k"]
    main_build(argparse.Namespace(files=[str(tmp_path / "cb")], output=str(tmp_path / "benchmark.csv")))
    with (tmp_path / "benchmark.csv").open() as f:
        rows = {(r["dataset"], r["pretrained"]): r for r in csv.DictReader(f)}
    assert float(rows[("cifar10", "clip-B")]["acc1"]) == 0.9
    assert float(rows[("flickr30k", "clip-B")]["image_retrieval_recall@1"]) == 0.6
    assert rows[("urban1k", "longclip-B")]["model_fullname"] == "ViT-B-16 longclip-B"


def _mteb_documents(root):
    return {p.relative_to(root).as_posix(): json.loads(p.read_text()) for p in root.rglob("*.json")}


def test_mteb_export_layout_names_and_scores(results, tmp_path):
    done = export("mteb", results, tmp_path / "mteb", tasks=["urban1k", "cifar10"])
    docs = _mteb_documents(tmp_path / "mteb")
    assert sorted(docs) == ["clip-B/no_revision_available/cifar10.json", "clip-B/no_revision_available/model_meta.json",
                            "clip-B/no_revision_available/urban1k-i2t.json",
                            "clip-B/no_revision_available/urban1k-t2i.json",
                            "longclip-B/no_revision_available/model_meta.json",
                            "longclip-B/no_revision_available/urban1k-i2t.json",
                            "longclip-B/no_revision_available/urban1k-t2i.json"]
    i2t = docs["clip-B/no_revision_available/urban1k-i2t.json"]
    assert i2t["task_name"] == "urban1k-i2t" and i2t["longbench"]["note"].startswith("mteb has no task")
    assert i2t["scores"]["test"] == [{"hit_rate_at_1": 0.5, "hit_rate_at_5": 0.55, "hit_rate_at_10": 0.58,
                                      "mrr_at_10": 0.69, "ndcg_at_10": 0.75, "main_score": 0.75,
                                      "hf_subset": "default", "languages": ["eng-Latn"]}]
    assert docs["clip-B/no_revision_available/cifar10.json"]["scores"]["test"][0]["main_score"] == 0.9
    assert all("mteb has no task" in note for note in done.notes)


def test_mteb_export_loads_with_mteb_task_result_from_disk(results, tmp_path):
    """mteb's own reader (a test dependency) loads every exported TaskResult."""
    task_result = importlib.import_module("mteb.results.task_result")
    export("mteb", results, tmp_path / "mteb")
    files = [p for p in (tmp_path / "mteb").rglob("*.json") if p.name != "model_meta.json"]
    loaded = {task_result.TaskResult.from_disk(p).task_name: task_result.TaskResult.from_disk(p) for p in files}
    assert loaded["flickr30k-t2i"].scores["test"][0]["hit_rate_at_1"] == 0.6
    assert loaded["cifar10"].scores["test"][0]["main_score"] == 0.9


def test_an_old_result_without_ndcg_is_left_out_of_mteb_with_a_note(tmp_path, write):
    write("r", "m", "urban1k", retrieval(50.0, 40.0))
    write("r", "m", "cifar10", {"acc1": 90.0})
    done = export("mteb", tmp_path / "r", tmp_path / "mteb")
    assert [p.name for p in done.written] == ["cifar10.json"]
    assert any("m/urban1k.json: left out: no nDCG@10" in n for n in done.notes)


def test_hf_export_eval_results_and_model_index(results, tmp_path):
    from huggingface_hub.repocard_data import model_index_to_eval_results

    export("hf", results, tmp_path / "hf", tasks=["urban1k"])
    entries = yaml.safe_load((tmp_path / "hf" / "longclip-B" / ".eval_results" / "urban1k.yaml").read_text())
    first = entries[0]
    assert first["dataset"] == {"id": "longbench/urban1k", "task_id": "urban1k/i2t_r1", "revision": "task-v1"}
    assert first["value"] == 70.0 and first["source"]["name"].startswith("longbench ")
    assert "urban1k: 1000 pairs 1:1" in first["source"]["name"]
    assert len(entries) == len(retrieval(0, 0)) + len(RANKS)
    index = yaml.safe_load((tmp_path / "hf" / "longclip-B" / "model-index.yaml").read_text())["model-index"]
    name, evals = model_index_to_eval_results(index)
    assert name == "longclip-B" and {(e.dataset_name, e.metric_type, e.metric_value) for e in evals} >= {
        ("urban1k", "i2t_r1", 70.0), ("urban1k", "t2i_median_rank", 2.0)}
    assert evals[0].dataset_args["protocol"] == "urban1k: 1000 pairs 1:1"


def test_hf_eval_results_validate_against_mteb_model_of_the_hub_format(results, tmp_path):
    model = importlib.import_module("mteb._hf_integration.eval_result_model")
    export("hf", results, tmp_path / "hf")
    entries = yaml.safe_load((tmp_path / "hf" / "clip-B" / ".eval_results" / "cifar10.yaml").read_text())
    assert len(model.HFEvalResults.model_validate(entries)) == 3


def test_csv_table_best_intervals_averages_and_marked_rows(results, tmp_path):
    done = export("csv", results, tmp_path / "t.csv", tasks=["urban1k", "flickr30k"], metrics=["i2t_r1", "t2i_r1"])
    rows = list(csv.DictReader((tmp_path / "t.csv").open()))
    by = {(r["model"], r["origin"]): r for r in rows}
    clip, longclip = by[("clip-B", "measured")], by[("longclip-B", "measured")]
    assert (longclip["urban1k i2t_r1"], longclip["urban1k i2t_r1 best"]) == ("70.0", "1")
    assert (longclip["urban1k i2t_r1 low"], longclip["urban1k i2t_r1 high"]) == ("68.0", "72.0")
    assert clip["urban1k i2t_r1 best"] == "" and clip["average i2t_r1"] == "65.0"
    assert longclip["average i2t_r1"] == ""  # no flickr30k result: no average
    imported = by[("imported-model", "imported")]
    assert imported["source"] == "clip_benchmark 1.6.1" and imported["urban1k i2t_r1 best"] == ""
    assert done.notes == ["urban1k: urban1k: 1000 pairs 1:1", "flickr30k: flickr30k karpathy 1k test"]  # --tasks order


def test_latex_table_bold_footnotes_and_marks(results, tmp_path):
    from longbench.report import load_references

    from .golden import REFERENCES

    export("latex", results, tmp_path / "t.tex", tasks=["urban1k"], metrics=["i2t_r1", "t2i_median_rank"],
           references=load_references(REFERENCES))
    text = (tmp_path / "t.tex").read_text()
    assert r"\textbf{70.0}\,{\scriptsize[68.0, 72.0]}" in text  # longclip-B, best I2T R@1, its interval
    lines = {line.split(" & ")[0]: line for line in text.splitlines() if " & " in line}
    assert r"\textbf{2.0}" in lines["clip-B"] and r"\textbf{2.0}" in lines["longclip-B"]  # a tie: both bold
    assert r"imported-model$^{\dag}$" in lines and "99.0" in lines[r"imported-model$^{\dag}$"]
    assert r"\textbf" not in lines[r"imported-model$^{\dag}$"]
    assert any(key.endswith(r"$^{\ddag}$") for key in lines)
    assert r"$^{a}$\,urban1k: urban1k: 1000 pairs 1:1." in text and r"measured by clip\_benchmark 1.6.1" in text


def test_unknown_format_and_nothing_to_export_are_one_line(tmp_path, write):
    with pytest.raises(UnknownNameError, match="unknown export format 'parquet'"):
        export("parquet", tmp_path, tmp_path / "out")
    write("r", "m", "urban1k", retrieval(50.0, 40.0), origin=Origin("clip_benchmark", None, "x.json"))
    with pytest.raises(DataError, match="no result files measured by longbench to export"):
        export("mteb", tmp_path / "r", tmp_path / "out")
    result = CliRunner().invoke(app, ["export", "csv", "--results", str(tmp_path / "r"), "--out",
                                      str(tmp_path / "t.csv"), "--tasks", "coco"])
    assert result.exit_code == 2 and "no result files to export for --tasks coco" in result.output
    result = CliRunner().invoke(app, ["export", "csv", "--results", str(tmp_path / "r"), "--out",
                                      str(tmp_path / "t.csv"), "--metrics", "i2t_r1,recall"])
    assert result.exit_code == 2 and "unknown metric 'recall'" in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "t.csv").exists()


def test_export_cli_prints_notes_and_what_it_wrote(results, tmp_path):
    result = CliRunner().invoke(app, ["export", "clip-benchmark", "--results", str(results), "--out",
                                      str(tmp_path / "cb"), "--tasks", "urban1k"])
    assert result.exit_code == 0, result.output
    assert "note: urban1k: CLIP_benchmark has no task" in result.output and "wrote 2 file(s)" in result.output


def test_clip_benchmark_and_mteb_are_test_dependencies():
    """Their own readers check the exports in every run (docs/interop.md); this keeps pyproject and the docs from
    drifting apart."""
    text = Path(__file__).parents[2].joinpath("pyproject.toml").read_text()
    test = re.search(r"^test = \[(.*?)\]", text, re.M | re.S)[1]
    assert '"clip-benchmark>=' in test and '"mteb>=' in test
    assert importlib.util.find_spec("clip_benchmark") is not None and importlib.util.find_spec("mteb") is not None
