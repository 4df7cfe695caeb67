"""`longbench bench` on a tiny job: it runs, prints every stage and section, exits 0 (timings are never asserted)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from longbench.bench import BenchConfig, run_bench
from longbench.bench.base import section_names
from longbench.bench.job import write_job
from longbench.cli import app
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task

runner = CliRunner()
STAGES = ("start-up and exit", "model load", "listing", "decode", "image encode", "tokenize", "text encode",
          "metrics", "write", "other", "total (wall)")


@pytest.mark.slow  # timed runs in child processes
def test_bench_prints_every_stage_and_section(tmp_path):
    result = runner.invoke(app, ["bench", "-m", "tiny-clip", "--images", "6", "--captions-per-image", "2",
                                 "--image-size", "48x40", "--keep", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    for stage in STAGES:
        assert f"│ {stage} " in out
    for title in ("stages of a cold run: 6 images, 12 captions", "throughput", "images/s, bare encode_image",
                  "text: 12 captions", "full-context encode", "warm against cold", "metrics identical: yes",
                  "CLIP_benchmark side by side"):
        assert title in out
    [cold] = (tmp_path / "results-cold").rglob("coco.json")
    assert json.loads(cold.read_text())["task"]["n_texts"] == 12


def test_the_job_is_a_coco_val2017_folder(tmp_path):
    config = BenchConfig(model="tiny-clip", images=4, captions_per_image=3, image_size=(40, 30))
    job = write_job(tmp_path, config)
    ds = get_task("coco").load(job.root / "coco", LoadOptions())
    assert len(ds.images) == 4 and len(ds.texts) == 12 and (job.model, job.checkpoint) == ("tiny-clip", None)
    annotations = json.loads((job.root / "coco" / "annotations" / "captions_val2017.json").read_text())["annotations"]
    assert len({a["id"] for a in annotations}) == 12  # pycocotools (CLIP_benchmark's reader) indexes captions by id
    assert len({a["caption"] for a in annotations}) == 12  # no exact ties, which tools would break differently


def test_sections_are_ordered_and_selectable(tmp_path):
    assert section_names()[:5] == ["stages", "throughput", "text", "cache", "peer"]
    [peer] = run_bench(BenchConfig(model="tiny-clip", images=2, captions_per_image=1, image_size=(16, 16),
                                   sections=["peer"], job_dir=tmp_path))
    assert peer.title == "CLIP_benchmark side by side"


@pytest.mark.parametrize("args,message", [(["--images", "0"], "at least 1 image"),
                                          (["--image-size", "big"], "--image-size 'big'"),
                                          (["--image-size", "100000x100000"], "--image-size 100000x100000: "
                                           "10,000,000,000 pixels per image, at most 89,478,485"),
                                          (["--keep", "a-file"], "--keep {tmp}/a-file: is not a folder"),
                                          (["--sections", "stagez"], "unknown bench section 'stagez'")])
def test_bad_bench_options(args, message, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    args = [arg.replace("a-file", str(tmp_path / "a-file")) for arg in args]
    result = runner.invoke(app, ["bench", "-m", "tiny-clip", "--keep", str(tmp_path), *args],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 2 and message.format(tmp=tmp_path) in result.output, result.output
    assert "Traceback" not in result.output
    with pytest.raises(DataError):
        BenchConfig(images=1, image_size=(4, 4))


@pytest.mark.slow  # a process per case
def test_scale_section_measures_each_index_in_its_own_process_without_writing_the_job(tmp_path):
    config = BenchConfig(model="tiny-clip", sections=["scale"], job_dir=tmp_path, scale_cases=((300, 60),),
                         scale_budget=300)
    lines = []
    [section] = run_bench(config, log=lines.append)
    assert [line.split(" | ")[2] for line in lines] == ["dense", "chunked", "faiss"]  # one line per case, as done
    assert [row[2] for row in section.rows] == ["dense", "chunked", "faiss"]
    assert len({row[6] for row in section.rows}) == 1 and all(float(row[5].replace(",", "")) > 0
                                                               for row in section.rows)
    assert not any("DISAGREE" in note for note in section.notes)
    assert "largest case within 4,096 MiB: 300 queries x 60 gallery" in section.notes[-1]
    assert not list(tmp_path.iterdir())  # the COCO job is only written for the sections that run it


@pytest.mark.slow  # run_case starts a process
def test_scale_notes_flag_disagreement_and_unfinished_cases():
    from longbench.bench.scale import Case, run_case, scale_notes

    cases = [Case(10, 5, "dense", recall_at_1=20.0, peak_mib=900),
             Case(10, 5, "faiss", recall_at_1=30.0, peak_mib=5000),
             Case(99, 5, "dense", status="not done in 1 s")]
    notes = scale_notes(cases, 4096)
    assert "DISAGREE" in notes[0] and notes[1].endswith("10 queries x 5 gallery with dense (900 MiB peak)")
    assert scale_notes(cases[1:], 4096) == ["no case finished within 4,096 MiB"]
    assert run_case(200_000, 200_000, "dense", budget=0.01).status == "not done in 0 s"


@pytest.mark.slow  # torchrun
def test_ranks_section_runs_torchrun_against_one_process(tmp_path):
    config = BenchConfig(model="tiny-clip", images=5, captions_per_image=2, image_size=(32, 32),
                         sections=["ranks"], job_dir=tmp_path, batch_size=2, workers=0, device="cpu")
    [section] = run_bench(config)
    assert [row[0] for row in section.rows] == ["1 process", "torchrun, 2 ranks"]
    assert section.notes[0].startswith("metrics identical: yes") and "gloo" in section.title
    assert (tmp_path / "results-2-ranks" / "tiny-clip" / "coco.json").is_file()


def test_long_sections_are_opt_in():
    from longbench.bench.base import chosen_sections

    assert "scale" not in section_names() and "ranks" not in section_names()
    assert chosen_sections(BenchConfig()) == section_names()
    assert chosen_sections(BenchConfig(sections=["all"]))[-2:] == ["scale", "ranks"]
    assert chosen_sections(BenchConfig(sections=["ranks", "text"])) == ["ranks", "text"]


@pytest.mark.parametrize("args,message", [(["--scale-cases", "10k"], "--scale-cases '10k': expected QUERIESxGALLERY"),
                                          (["--scale-cases", "0x5"], "at least 1 query"),
                                          (["--scale-indexes", "annoy"], "unknown index 'annoy'"),
                                          (["--ranks", "1"], "--ranks 1")])
def test_bad_scale_options(args, message, tmp_path):
    result = runner.invoke(app, ["bench", "-m", "tiny-clip", "--keep", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output
    assert not list(tmp_path.iterdir())


STUB_CLI = '''
import json, sys
from pathlib import Path
args = sys.argv[1:]
value = lambda flag: args[args.index(flag) + 1]
root = Path(value("--dataset_root"))
assert value("--dataset") == "mscoco_captions" and sorted(p.name for p in (root / "val2014").iterdir())
assert Path(value("--annotation_file")).is_file() and "--no_amp" in args, args
assert args[args.index("--recall_k") + 1:args.index("--recall_k") + 4] == ["1", "5", "10"]
metrics = {f"{kind}_retrieval_recall@{k}": 0.5 for kind in ("image", "text") for k in (1, 5, 10)}
Path(value("--output")).write_text(json.dumps({"metrics": metrics}))
'''


@pytest.mark.slow  # the stand-in CLI is a process
def test_peer_section_runs_clip_benchmark_on_the_job_and_compares_recalls(tmp_path, monkeypatch):
    import dataclasses

    from longbench.bench.base import BenchContext, ChildRun
    from longbench.bench.peer import peer

    stub = tmp_path / "stub" / "clip_benchmark"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("")
    (stub / "cli.py").write_text(STUB_CLI)
    monkeypatch.syspath_prepend(str(stub.parent))
    monkeypatch.setenv("PYTHONPATH", str(stub.parent))
    ctx = BenchContext(BenchConfig(model="tiny-clip", images=3, captions_per_image=2, image_size=(16, 16)),
                       tmp_path / "job")
    ctx.shared["job"] = dataclasses.replace(write_job(ctx.folder, ctx.config), model="open_clip:ViT-B-16",
                                            checkpoint=str(tmp_path / "w.safetensors"))
    ours = {f"{d}_r{k}": 50.0 for d in ("t2i", "i2t") for k in (1, 5, 10)} | {"i2t_r10": 75.0}
    env = {"batch_size": 4, "workers": 0, "device": "cpu", "dtype": "float32"}
    ctx.shared["cold"] = ChildRun(wall=1.0, imports=0.1, run=0.8, write=0.0,
                                  result={"metrics": ours, "environment": env, "timings": {}})
    section = peer(ctx)
    assert section.rows[0][0] == "seconds (whole process)" and ("i2t_r10", "75.00", "50.00") in section.rows
    assert section.notes == ["both with batch 4, workers 0, float32; largest recall difference 25.0000 points"]


@pytest.mark.slow  # timed runs in child processes
def test_a_kept_job_starts_each_bench_with_an_empty_cache(tmp_path):
    config = BenchConfig(model="tiny-clip", images=3, captions_per_image=2, image_size=(16, 16), sections=["cache"],
                         job_dir=tmp_path, device="cpu", workers=0)
    run_bench(config)
    [cache] = run_bench(config)  # the same kept folder again: its first run is still cold
    [cold] = (tmp_path / "results-cold").rglob("coco.json")
    assert json.loads(cold.read_text())["environment"]["embedding_cache"].startswith("image batches 0 cached")
    assert cache.rows[1][0] == "warm" and cache.notes == ["metrics identical: yes"]


def test_ranks_section_explains_a_metric_difference(tmp_path, monkeypatch):
    from longbench.bench.base import BenchContext, ChildRun
    from longbench.bench.job import Job
    from longbench.bench.scale import ranks

    ctx = BenchContext(BenchConfig(model="tiny-clip"), tmp_path)
    ctx.shared["job"] = Job(tmp_path, "tiny-clip", None, tmp_path / "cache", 4, 8, 0.0)
    env = {"device": "cpu"}
    timings = {"encode_images": 2.0, "encode_texts": 1.0}

    def child(output, ranks=1, **overrides):
        assert overrides == {"cache": False}
        metrics = {"t2i_r1": 50.0 if ranks == 1 else 25.0}
        return ChildRun(1.0, 0.1, 0.8, 0.0, {"metrics": metrics, "environment": env, "timings": timings})
    monkeypatch.setattr(ctx, "run_child", child)
    section = ranks(ctx)
    assert section.notes[0].startswith("metrics identical: NO (on a CPU, torchrun's one thread per rank")
    assert [row[3] for row in section.rows] == ["2.0", "2.0"]  # 4 images in 2 s


def test_small_section_times_whole_runs_cold_warm_and_with_nothing_to_do(tmp_path):
    [small] = run_bench(BenchConfig(model="tiny-clip", images=3, captions_per_image=2, image_size=(32, 32),
                                    sections=["small"], job_dir=tmp_path))
    assert small.title == "fixed costs: a 3-image job as whole processes"
    assert [row[0] for row in small.rows] == ["warm re-run against cold", "--skip-existing against first run"]
    assert all(float(row[3]) > 0 and len(row[1].split(" / ")) == 2 for row in small.rows)
    assert any("no CLIP_benchmark row" in note for note in small.notes)  # tiny-clip is no open_clip checkpoint
    assert "small" not in section_names()  # opt-in: `--sections small`
