"""longbench import clip-benchmark: CLIP_benchmark JSONs and open_clip's results CSV as imported result files; the
task table's classification entries checked against CLIP_benchmark's own templates and class names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.artifacts.results import read_result
from longbench.cli import app
from longbench.errors import DataError, SchemaError
from longbench.interop import clip_benchmark as cb
from longbench.report import load_results
from longbench.report.board import IMPORTED, MEASURED, build_board
from longbench.report.columns import MAIN_METRICS

FLICKR = {"dataset": "flickr30k", "model": "ViT-B-32", "pretrained": "laion2b_s34b_b79k", "task": "zeroshot_retrieval",
          "metrics": {"image_retrieval_recall@1": 0.5, "text_retrieval_recall@1": 0.75, "image_retrieval_recall@5": 0.8,
                      "text_retrieval_recall@5": 0.9}, "language": "en"}
CIFAR = {"dataset": "cifar10", "model": "EVA02-B-16", "pretrained": "merged2b_s8b_b131k",
         "task": "zeroshot_classification", "metrics": {"acc1": 0.9, "acc5": 0.99, "mean_per_class_recall": 0.899},
         "language": "en"}


def _json(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data))
    return folder / name


def test_a_result_json_becomes_an_imported_longbench_result(tmp_path):
    src = _json(tmp_path / "cb", "flickr30k_laion2b_s34b_b79k_ViT-B-32_en_zeroshot_retrieval.json", FLICKR)
    done = cb.import_files([src], tmp_path / "out", version="1.6.2")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in done.written] == [
        "open_clip_ViT-B-32@laion2b_s34b_b79k/flickr30k.clip_benchmark.json"]
    result = read_result(done.written[0])
    assert result.metrics == {"i2t_r1": 75.0, "t2i_r1": 50.0, "i2t_r5": 90.0, "t2i_r5": 80.0}
    assert (result.origin.tool, result.origin.version, result.origin.source) == (
        "clip_benchmark", "1.6.2", src.name)
    assert result.origin.imported and result.task.fingerprint is None and result.task.n_images is None
    assert result.model.name == "open_clip:ViT-B-32@laion2b_s34b_b79k" and result.task.kind == "retrieval"


def test_a_registered_model_keeps_its_longbench_name_and_acc5_nan_is_left_out(tmp_path):
    """open_clip EVA02-B-16@merged2b_s8b_b131k is longbench's eva02-clip-B-16: the imported row sits beside its
    measured one."""
    src = _json(tmp_path / "cb", "c.json", {**CIFAR, "metrics": {"acc1": 0.9, "acc5": float("nan")}})
    result = read_result(cb.import_files([src], tmp_path / "out").written[0])
    assert result.model.name == "eva02-clip-B-16" and result.task.prompts == "clip"
    assert result.metrics == {"acc1": 90.0} and result.task.warnings == ["acc5 left out: not a number"]


def test_the_leaderboard_shows_imported_beside_measured_and_the_gate_leaves_it_out(tmp_path):
    from longbench.artifacts.results import write_result
    from longbench.artifacts.store import result_path
    from tests.helpers.results import make_result

    model = "eva02-clip-B-16"
    write_result(make_result(model, "cifar10", {"acc1": 88.0}), result_path(tmp_path / "out", model, "cifar10"))
    cb.import_files([_json(tmp_path / "cb", "c.json", CIFAR)], tmp_path / "out")
    board = build_board(load_results(tmp_path / "out"), [], MAIN_METRICS)
    values = {(r.origin, r.model): [c.value for c in r.cells.values()] for r in board.rows}
    assert values == {(MEASURED, model): [88.0], (IMPORTED, model): [90.0]}
    result = CliRunner().invoke(app, ["gate", "--baseline", str(tmp_path / "out"), "--candidate",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0 and "1 imported result(s) left out" in result.output


def test_open_clip_results_csv_rows_become_imported_results(tmp_path):
    csv_file = tmp_path / "openclip_retrieval_results.csv"
    csv_file.write_text("name,pretrained,params (M),Flickr image retr. R@1,Flickr text retr. R@1,"
                        "MSCOCO image retr. R@1,WinoGAViL avg jaccard score\n"
                        "ViT-B-32,laion2b_s34b_b79k,151.28,0.7,0.85,0.4,0.5\n", encoding="utf-8")
    done = cb.import_files([csv_file], tmp_path / "out")
    results = {read_result(p).task.name: read_result(p) for p in done.written}
    assert sorted(results) == ["coco-karpathy", "flickr30k"]
    assert results["flickr30k"].metrics == {"t2i_r1": pytest.approx(70.0), "i2t_r1": 85.0}
    assert results["coco-karpathy"].origin.tool == "open_clip"


def test_a_dataset_longbench_lacks_is_left_out_with_a_note_and_nothing_at_all_is_an_error(tmp_path):
    cars = {**CIFAR, "dataset": "cars"}
    done = cb.import_files([_json(tmp_path / "cb", "a.json", CIFAR), _json(tmp_path / "cb", "b.json", cars)],
                           tmp_path / "out")
    assert len(done.written) == 1 and done.notes == [
        "b.json: left out: longbench has no task with CLIP_benchmark's cars (zeroshot_classification) data and "
        "protocol"]
    with pytest.raises(DataError, match="nothing to import"):
        cb.import_files([tmp_path / "cb" / "b.json"], tmp_path / "none")


@pytest.mark.parametrize("text, message", [
    ("{", "not a readable CLIP_benchmark result JSON"),
    ('{"dataset": "cifar10"}', "not a CLIP_benchmark result: expected an object with dataset"),
    (json.dumps({**CIFAR, "metrics": {"acc1": "high"}}), "metrics.acc1: expected a number"),
    (json.dumps({**CIFAR, "metrics": {"acc1": 90.0}}), "metrics.acc1: expected a fraction from 0 to 1"),
])
def test_a_malformed_file_is_one_line_and_nothing_is_written(tmp_path, text, message):
    (tmp_path / "cb").mkdir()
    _json(tmp_path / "cb", "good.json", CIFAR)
    (tmp_path / "cb" / "z.json").write_text(text)
    with pytest.raises(SchemaError, match=message):
        cb.import_files([tmp_path / "cb"], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(app, ["import", "clip-benchmark", str(tmp_path / "cb"), "--output",
                                      str(tmp_path / "out")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


def test_the_import_cli_says_what_it_wrote(tmp_path):
    _json(tmp_path / "cb", "f.json", FLICKR)
    result = CliRunner().invoke(app, ["import", "clip-benchmark", str(tmp_path / "cb"), "-o", str(tmp_path / "out"),
                                      "--tool-version", "1.6.2"])
    assert result.exit_code == 0, result.output
    assert "imported 1 result(s)" in result.output


def _clip_benchmark_file(name):
    import clip_benchmark.datasets as datasets

    return json.loads((Path(datasets.__file__).parent / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("task", ["cifar10", "imagenet", "objectnet"])
def test_the_clip_prompt_set_has_clip_benchmarks_templates(task):
    """The verification behind TASKS' classification entries, against CLIP_benchmark's packaged templates (a dataset
    without its own, ObjectNet, falls back to imagenet1k's, as CLIP_benchmark's builder does)."""
    from longbench.prompts import resolve_prompts

    assert cb.TASKS[task].prompts == "clip"
    templates = _clip_benchmark_file("en_zeroshot_classification_templates.json")
    theirs = templates.get(cb.TASKS[task].dataset, templates["imagenet1k"])
    assert resolve_prompts("clip", task, ["x"]).templates == theirs


def test_the_clip_prompt_set_has_clip_benchmarks_class_names():
    """ImageNet: CLIP_benchmark's packaged names; CIFAR-10: torchvision's names, which have nothing to clean.
    CIFAR-100 is left out of TASKS: CLIP_benchmark keeps torchvision's `aquarium_fish`, the `clip` set cleans it."""
    from longbench.prompts import resolve_prompts
    from longbench.tasks.cifar import CIFAR10_NAMES, CIFAR100_NAMES
    from longbench.tasks.imagenet import imagenet_classnames

    names = _clip_benchmark_file("en_classnames.json")
    assert resolve_prompts("clip", "imagenet", imagenet_classnames()).classnames == names["imagenet1k"]
    assert resolve_prompts("clip", "cifar10", list(CIFAR10_NAMES)).classnames == list(CIFAR10_NAMES)
    assert "aquarium_fish" in CIFAR100_NAMES and "cifar100" not in cb.TASKS
