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


def test_sections_are_ordered_and_selectable(tmp_path):
    assert section_names()[:5] == ["stages", "throughput", "text", "cache", "peer"]
    [peer] = run_bench(BenchConfig(model="tiny-clip", images=2, captions_per_image=1, image_size=(16, 16),
                                   sections=["peer"], job_dir=tmp_path))
    assert peer.title == "CLIP_benchmark side by side"


@pytest.mark.parametrize("args,message", [(["--images", "0"], "at least 1 image"),
                                          (["--image-size", "big"], "--image-size 'big'"),
                                          (["--sections", "stagez"], "unknown bench section 'stagez'")])
def test_bad_bench_options(args, message, tmp_path):
    result = runner.invoke(app, ["bench", "-m", "tiny-clip", "--keep", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output
    with pytest.raises(DataError):
        BenchConfig(images=1, image_size=(4, 4))
