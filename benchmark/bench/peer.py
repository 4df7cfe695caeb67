"""The same job through CLIP_benchmark (when it is importable), timed as a whole process beside longbench's run."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

from .base import BenchContext, Section, register_section


@register_section("peer", order=40)
def peer(ctx: BenchContext) -> Section:
    title = "CLIP_benchmark side by side"
    if importlib.util.find_spec("clip_benchmark") is None:
        return Section(title, ("tool", "seconds"), [], ["clip_benchmark is not importable here: skipped "
                                                        "(pip install clip-benchmark to compare)"])
    if ctx.job.checkpoint is None or not ctx.job.model or not ctx.job.model.startswith("open_clip:"):
        return Section(title, ("tool", "seconds"), [], ["needs an open_clip architecture as --model: skipped"])
    cold = ctx.cold()
    env = cold.result["environment"]
    arch = ctx.job.model.removeprefix("open_clip:")
    coco = ctx.job.root / "coco"
    cmd = [sys.executable, "-m", "clip_benchmark.cli", "eval", "--dataset", "mscoco_captions2017",
           "--dataset_root", str(coco), "--task", "zeroshot_retrieval", "--model", arch,
           "--pretrained", ctx.job.checkpoint, "--batch_size", str(env["batch_size"]),
           "--num_workers", str(env["workers"]), "--output", str(ctx.job.root.parent / "clip_benchmark.json")]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return Section(title, ("tool", "seconds"), [], [f"clip_benchmark failed (exit {proc.returncode}): {last[0]}"])
    return Section(title, ("tool", "seconds", "settings"),
                   [("longbench", f"{cold.wall:.2f}", f"batch {env['batch_size']}, workers {env['workers']}"),
                    ("clip_benchmark", f"{wall:.2f}", f"batch {env['batch_size']}, workers {env['workers']}")])
