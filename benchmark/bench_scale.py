"""The scale benchmark: recall at 10k-1M queries against 5k-100k galleries, and 1 against 2 torchrun ranks.

`python -m longbench.bench_scale [--budget SECONDS] [--cases 10000x5000,...]`. Each retrieval case runs in a
subprocess of its own, so that its peak resident memory (ru_maxrss: embeddings, torch and the search together) is
its own; a case that has not finished within the budget is reported as such, never estimated. Wall time and the
search's CPU time (user + system, all threads) are both given: on a shared machine the CPU time is the steadier.
Embeddings are random unit vectors (D=512); each caption is its image plus noise, so recalls are neither 0 nor 100.

The data-parallel part times `longbench run` of tiny-clip on a generated COCO-format sample, once in one process
and once under `torchrun --standalone --nproc-per-node 2` (gloo on the CPU), and checks that the metrics agree.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

DIM = 512
CASES = ((10_000, 5_000), (10_000, 100_000), (100_000, 100_000), (1_000_000, 100_000))
INDEXES = ("dense", "chunked", "faiss")


@dataclass
class Case:
    queries: int
    gallery: int
    index: str
    status: str = "ok"  # ok | timeout | error
    seconds: float | None = None
    cpu_s: float | None = None
    peak_mib: float | None = None
    t2i_r1: float | None = None


def unit_rows(rng: np.random.Generator, n: int, base: np.ndarray | None = None, noise: float = 1.0) -> np.ndarray:
    """n float32 unit rows, made a block at a time (no float64 copy of the whole matrix)."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 65536):
        rows = rng.standard_normal((min(65536, n - start), DIM), dtype=np.float32)
        if base is not None:
            rows = base[np.arange(start, start + len(rows)) % len(base)] + noise * rows / np.sqrt(DIM)
        out[start:start + len(rows)] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def measure(queries: int, gallery: int, index: str) -> dict[str, float]:
    """One case in this process: recall of `queries` captions over `gallery` images (both directions)."""
    from .metrics.retrieval import recall_metrics, retrieval_ranks

    rng = np.random.default_rng(0)
    images = unit_rows(rng, gallery)
    texts = unit_rows(rng, queries, base=images, noise=8.0)
    gt = np.arange(queries) % gallery
    start, cpu = time.perf_counter(), _cpu_seconds()
    metrics = recall_metrics(retrieval_ranks(images, texts, gt, index=index))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu_s": _cpu_seconds() - cpu, "peak_mib": peak, "t2i_r1": metrics["t2i_r1"]}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_case(queries: int, gallery: int, index: str, budget: float) -> Case:
    case = Case(queries, gallery, index)
    command = [sys.executable, "-m", "longbench.bench_scale", "--child", f"{queries}x{gallery}:{index}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=budget)
    except subprocess.TimeoutExpired:
        case.status = "timeout"
        return case
    if done.returncode != 0:
        case.status = "error: " + (done.stderr.strip().splitlines() or ["?"])[-1]
        return case
    for name, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
        setattr(case, name, value)
    return case


def data_parallel(images: int, batch_size: int = 32) -> list[dict[str, object]]:
    """tiny-clip on `images` COCO-format images: one process, then torchrun with 2 gloo ranks."""
    from .tasks import get_task

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        get_task("coco").write_sample(get_task("coco").root(root / "data"), images, seed=0)
        args = ["run", "-m", "tiny-clip", "-t", "coco", "-d", str(root / "data"), "-b", str(batch_size), "-q"]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        for label, launcher in (("1 process", [sys.executable, "-m", "longbench"]),
                                ("torchrun, 2 ranks", [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                                       "--nproc-per-node", "2", "-m", "longbench"])):
            out = root / label.replace(" ", "_").replace(",", "")
            start = time.perf_counter()
            subprocess.run([*launcher, *args, "-o", str(out)], check=True, capture_output=True, env=env)
            wall = time.perf_counter() - start
            result = json.loads((out / "tiny-clip" / "coco.json").read_text())
            encode = result["timings"]["encode_images"] + result["timings"]["encode_texts"]
            rows.append({"launch": label, "images": images, "wall_s": wall, "encode_s": encode,
                         "images_per_s": images / result["timings"]["encode_images"], "metrics": result["metrics"]})
    return rows


def table(cases: list[Case]) -> str:
    lines = ["| queries | gallery | index | wall (s) | CPU (s) | peak RSS (MiB) | T2I R@1 |",
             "|---:|---:|---|---:|---:|---:|---:|"]
    for c in cases:
        if c.status != "ok":
            lines.append(f"| {c.queries:,} | {c.gallery:,} | {c.index} | {c.status} | - | - | - |")
        else:
            lines.append(f"| {c.queries:,} | {c.gallery:,} | {c.index} | {c.seconds:.1f} | {c.cpu_s:.1f} | "
                         f"{c.peak_mib:,.0f} | {c.t2i_r1:.2f} |")
    return "\n".join(lines)


def _pair(text: str) -> tuple[int, int]:
    q, g = text.lower().split("x")
    return int(q), int(g)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m longbench.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(f"{q}x{g}" for q, g in CASES),
                        help="QUERIESxGALLERY, comma-separated")
    parser.add_argument("--indexes", default=",".join(INDEXES))
    parser.add_argument("--budget", type=float, default=600, help="seconds per case before it is reported unfinished")
    parser.add_argument("--dp-images", type=int, default=200, help="images for the 1-vs-2-ranks run (0: skip)")
    parser.add_argument("--json", type=Path, help="also write every row as JSON here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        shape, index = args.child.split(":")
        print(json.dumps(measure(*_pair(shape), index)))
        return
    cases = []
    for shape in args.cases.split(","):
        for index in args.indexes.split(","):
            cases.append(run_case(*_pair(shape), index, args.budget))
            print(table(cases[-1:]).splitlines()[-1], flush=True)
    print(table(cases))
    dp = data_parallel(args.dp_images) if args.dp_images else []
    for row in dp:
        print(f"{row['launch']}: {row['images']} images, wall {row['wall_s']:.1f} s, encode {row['encode_s']:.1f} s, "
              f"{row['images_per_s']:.1f} images/s; metrics {row['metrics']}")
    if args.json:
        args.json.write_text(json.dumps({"cases": [asdict(c) for c in cases], "data_parallel": dp}, indent=1))


if __name__ == "__main__":
    main()
