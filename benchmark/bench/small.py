"""Fixed costs: a small job (at most 40 images) run as whole `longbench run` processes, cold, warm and with nothing
to do, against CLIP_benchmark's whole process on the same job and checkpoint.

Most runs people make are small (a CI gate on a `--limit` subset, a smoke test of a checkpoint, a re-run after a
flag change, `--skip-existing` over finished checkpoints), and there the seconds before and around the computing
dominate. Each round runs, one after another: CLIP_benchmark (when importable), a cold run (empty cache, new output),
a warm re-run (the cache of the cold run, new output) and a `--skip-existing` run over the cold run's output; the
ratios are taken within each round, so a machine whose load changes between rounds still compares like with like.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..artifacts.results import read_result
from ..errors import DataError
from .base import BenchContext, Section, register_section
from .job import Job, write_job
from .peer import available, command

#: The small job's size: at most this many images (fewer when the bench's own job is smaller), 5 captions each.
IMAGES = 40
ROUNDS = 2
#: Each row: what, the run measured, the run it is compared with, and the target ratio (issue 25's).
ROWS = (("whole run against CLIP_benchmark", "cold", "clip_benchmark", 0.75),
        ("warm re-run against cold", "warm", "cold", 0.15),
        ("--skip-existing against first run", "skip", "cold", 0.20))


@register_section("small", order=45, default=False)
def small(ctx: BenchContext) -> Section:
    folder = ctx.folder / "small"
    job = write_job(folder, replace(ctx.config, images=min(IMAGES, ctx.config.images)))
    missing = available(job)
    rounds = [_round(ctx, folder, job, compare=missing is None) for _ in range(ROUNDS)]
    rows = []
    for what, measured, against, target in ROWS:
        if against not in rounds[0]:  # no CLIP_benchmark here
            continue
        ours, theirs = [r[measured] for r in rounds], [r[against] for r in rounds]
        ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        rows.append((what, _seconds(ours), _seconds(theirs), f"{ratio:.2f}", f"<= {target:.2f}"))
    startup = rounds[-1]["startup"]
    notes = [f"{job.n_images} images, {job.n_texts} captions; {ROUNDS} rounds, each ratio within a round "
             "(median); seconds are whole processes",
             f"start-up (interpreter and imports) of the last cold run: {startup:.2f} s (its result's `startup`)"]
    if missing:
        notes.append(missing.replace("skipped", "no CLIP_benchmark row"))
    return Section(f"fixed costs: a {job.n_images}-image job as whole processes", ("", "seconds", "against",
                   "ratio", "target"), rows, notes)


def _round(ctx: BenchContext, folder: Path, job: Job, compare: bool) -> dict[str, float]:
    cache, out = folder / "cache", folder / "results"
    for path in (cache, out, folder / "results-warm"):
        shutil.rmtree(path, ignore_errors=True)
    times: dict[str, float] = {}
    cold, times["cold"] = _longbench(ctx, job, cache, out)
    if compare:
        env = cold["environment"]
        start = time.perf_counter()
        proc = subprocess.run(command(folder, job, env, folder / "clip_benchmark.json"), capture_output=True,
                              text=True, check=False)
        times["clip_benchmark"] = time.perf_counter() - start
        _check(proc, "clip_benchmark")
    _, times["warm"] = _longbench(ctx, job, cache, folder / "results-warm")
    _, times["skip"] = _longbench(ctx, job, cache, out, "--skip-existing")
    times["startup"] = cold["timings"].get("startup", 0.0)
    return times


def _longbench(ctx: BenchContext, job: Job, cache: Path, output: Path, *extra: str) -> tuple[dict, float]:
    """One `longbench run` process of `job` (the result it wrote, its wall seconds)."""
    cfg = ctx.config
    model = ["--model", job.model] if job.model else []
    checkpoint = ["--checkpoint", job.checkpoint] if job.checkpoint else []
    cmd = [sys.executable, "-m", "longbench", "run", "--tasks", "coco", *model, *checkpoint, "--data-root",
           str(job.root), "--output", str(output), "--device", cfg.device, "--batch-size", str(cfg.batch_size),
           "--workers", str(cfg.workers), "--decode", cfg.decode, "--precision", cfg.precision, "--quiet", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, "LONGBENCH_CACHE": str(cache)})
    seconds = time.perf_counter() - start
    _check(proc, "longbench run")
    [path] = output.rglob("coco.json")
    return read_result(path).to_dict(), seconds


def _check(proc: subprocess.CompletedProcess, what: str) -> None:
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise DataError(f"bench small: {what} failed (exit {proc.returncode}): {tail[0]}")


def _seconds(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)
