"""Scale: recall over large galleries with each index (wall, CPU, peak memory), and one process against torchrun
ranks on the bench job. Both are opt-in (`--sections scale,ranks` or `all`): the large cases take many minutes.

Each retrieval case runs in a process of its own (search_case.py) so its peak resident memory is its own; a case
not finished within `scale_budget` seconds is reported as such, never estimated. CPU time (user + system, all
threads) is given beside the wall time: on a shared machine it is the steadier of the two.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from ..data.loader import available_cores
from .base import BenchContext, Section, register_section


@dataclass
class Case:
    queries: int
    gallery: int
    index: str
    status: str = "ok"  # ok | timeout | error: ...
    seconds: float = 0.0
    cpu_s: float = 0.0
    peak_mib: float = 0.0
    recall_at_1: float = 0.0

    def row(self) -> tuple[str, ...]:
        shape = (f"{self.queries:,}", f"{self.gallery:,}", self.index)
        if self.status != "ok":
            return (*shape, self.status, "-", "-", "-")
        return (*shape, f"{self.seconds:.1f}", f"{self.cpu_s:.1f}", f"{self.peak_mib:,.0f}", f"{self.recall_at_1:.2f}")


def run_case(queries: int, gallery: int, index: str, budget: float) -> Case:
    case = Case(queries, gallery, index)
    command = [sys.executable, "-m", "longbench.bench.search_case", f"{queries}x{gallery}:{index}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=budget, check=False)
    except subprocess.TimeoutExpired:
        case.status = f"not done in {budget:.0f} s"
        return case
    if done.returncode != 0:
        case.status = "error: " + ((done.stderr.strip().splitlines() or ["no output"])[-1])
        return case
    for name, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
        setattr(case, name, value)
    return case


@register_section("scale", order=50, default=False)
def scale(ctx: BenchContext) -> Section:
    cfg = ctx.config
    cases = []
    for queries, gallery in cfg.scale_cases:
        for index in cfg.scale_indexes:
            cases.append(run_case(queries, gallery, index, cfg.scale_budget))
            ctx.log("scale: " + " | ".join(cases[-1].row()))
    return Section("scale: recall over large galleries, random unit vectors (D=512), a process per case",
                   ("queries", "gallery", "index", "wall (s)", "CPU (s)", "peak RSS (MiB)", "T2I R@1"),
                   [case.row() for case in cases], scale_notes(cases, cfg.memory_mib))


def scale_notes(cases: list[Case], memory_mib: int) -> list[str]:
    """Whether every index agreed on each shape, and the largest case that stayed within `memory_mib`."""
    notes = []
    for shape in dict.fromkeys((c.queries, c.gallery) for c in cases):
        recalls = {c.recall_at_1 for c in cases if (c.queries, c.gallery) == shape and c.status == "ok"}
        if len(recalls) > 1:
            notes.append(f"{shape[0]:,} x {shape[1]:,}: the indexes DISAGREE on T2I R@1: {sorted(recalls)}")
    fits = [c for c in cases if c.status == "ok" and c.peak_mib <= memory_mib]
    if fits:
        best = max(fits, key=lambda c: (c.queries * c.gallery, -c.peak_mib))
        notes.append(f"largest case within {memory_mib:,} MiB: {best.queries:,} queries x {best.gallery:,} "
                     f"gallery with {best.index} ({best.peak_mib:,.0f} MiB peak)")
    else:
        notes.append(f"no case finished within {memory_mib:,} MiB")
    return notes


@register_section("ranks", order=60, default=False)
def ranks(ctx: BenchContext) -> Section:
    n = ctx.config.ranks
    runs = {1: ctx.run_child(ctx.folder / "results-1-process", cache=False)}
    ctx.log(f"ranks: 1 process done in {runs[1].wall:.1f} s")
    runs[n] = ctx.run_child(ctx.folder / f"results-{n}-ranks", ranks=n, cache=False)
    rows = []
    for count, run in runs.items():
        t = run.timings
        rows.append(("1 process" if count == 1 else f"torchrun, {count} ranks", f"{run.wall:.2f}",
                     f"{t['encode_images']:.2f}", f"{ctx.job.n_images / t['encode_images']:.1f}",
                     f"{t['encode_texts']:.2f}"))
    same = runs[1].result["metrics"] == runs[n].result["metrics"]
    backend = "nccl" if runs[n].result["environment"]["device"].startswith("cuda") else "gloo"
    # Same batches, so the same embeddings up to the CPU thread count's rounding (torchrun gives a rank 1 thread).
    why = "" if same else " (on a CPU, torchrun's one thread per rank rounds differently; a near tie can flip)"
    return Section(f"ranks: {ctx.job.n_images} images, {ctx.job.n_texts} captions, no cache, {backend}",
                   ("launch", "wall (s)", "image pass (s)", "images/s", "text pass (s)"), rows,
                   [f"metrics identical: {'yes' if same else 'NO'}{why}; {available_cores()} cores available, "
                    "shared by the ranks"])
