"""The same job through CLIP_benchmark (when it is importable), timed as a whole process beside longbench's run,
with both tools' recalls compared.

CLIP_benchmark 1.6's COCO dataset (`mscoco_captions`) reads `<root>/val2014` and a COCO-format caption file, so the
job's val2017 folder is linked in as `val2014` and its `captions_val2017.json` passed as `--annotation_file`.
Its `--amp` (on by default) would autocast even on the CPU (bfloat16), so it runs without AMP wherever longbench
ran in float32.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

from ..metrics.registry import DEFAULT_KS, I2T, T2I, recall
from .base import BenchContext, Section, register_section
from .job import Job

TITLE = "CLIP_benchmark side by side"
#: The retrieval metrics compared, under their CLIP_benchmark names (the registry's aliases): T2I, then I2T.
METRICS = [recall(d, k) for d in (T2I, I2T) for k in DEFAULT_KS]


def available(job: Job) -> str | None:
    """Why CLIP_benchmark cannot run `job` here (not installed, not an open_clip checkpoint), or None."""
    if importlib.util.find_spec("clip_benchmark") is None:
        return "clip_benchmark is not importable here: skipped (pip install clip-benchmark to compare)"
    if job.checkpoint is None or not job.model or not job.model.startswith("open_clip:"):
        return "needs an open_clip architecture as --model: skipped"
    return None


def command(folder: Path, job: Job, env: dict, output: Path) -> list[str]:
    """The clip_benchmark command line for `job` (its root linked under `folder`), with the batch size and workers
    of a longbench run's `environment`."""
    root = folder / "clip_benchmark-root"
    root.mkdir(exist_ok=True)
    if not (root / "val2014").exists():
        (root / "val2014").symlink_to((job.root / "coco" / "val2017").resolve(), target_is_directory=True)
    cmd = [sys.executable, "-m", "clip_benchmark.cli", "eval", "--dataset", "mscoco_captions",
           "--dataset_root", str(root), "--split", "test",
           "--annotation_file", str(job.root / "coco" / "annotations" / "captions_val2017.json"),
           "--task", "zeroshot_retrieval", "--model", job.model.removeprefix("open_clip:"),
           "--pretrained", job.checkpoint, "--batch_size", str(env["batch_size"]),
           "--num_workers", str(env["workers"]), "--recall_k", *map(str, DEFAULT_KS), "--output", str(output)]
    if env["device"] == "cpu" or env["dtype"] == "float32":
        cmd.append("--no_amp")
    return cmd


def compare(ours: dict[str, float], theirs: dict[str, float]) -> tuple[list[tuple[str, ...]], float]:
    """Rows of (metric, longbench, clip_benchmark) in percent, and the largest difference."""
    rows, worst = [], 0.0
    for entry in METRICS:
        a, b = ours[entry.name], 100 * theirs[entry.aliases["clip_benchmark"]]
        worst = max(worst, abs(a - b))
        rows.append((entry.name, f"{a:.2f}", f"{b:.2f}"))
    return rows, worst


@register_section("peer", order=40)
def peer(ctx: BenchContext) -> Section:
    missing = available(ctx.job)
    if missing:
        return Section(TITLE, ("tool", "seconds"), [], [missing])
    cold = ctx.cold()
    output = ctx.folder / "clip_benchmark.json"
    start = time.perf_counter()
    proc = subprocess.run(command(ctx.folder, ctx.job, cold.result["environment"], output), capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return Section(TITLE, ("tool", "seconds"), [], [f"clip_benchmark failed (exit {proc.returncode}): {last[0]}"])
    rows, worst = compare(cold.result["metrics"], json.loads(output.read_text())["metrics"])
    env = cold.result["environment"]
    settings = f"batch {env['batch_size']}, workers {env['workers']}, {env['dtype']}"
    return Section(TITLE, ("", "longbench", "clip_benchmark"),
                   [("seconds (whole process)", f"{cold.wall:.2f}", f"{wall:.2f}"), *rows],
                   [f"both with {settings}; largest recall difference {worst:.4f} points"])
