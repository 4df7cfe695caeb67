"""Benchmark: length-aware text encoding against full-context encoding, measured in one run.

Random weights at a real text-tower size (timing does not depend on the weights), captions written by the Urban1k
sample writer (long, mixed lengths, like Urban1k's ~130-token average). Prints both timings, their ratio, and the
largest difference between the two embeddings (the method is exact; only float rounding differs).

    python tools/bench_text_encoding.py [--arch B] [--task urban1k|coco] [--captions 64] [--batch-size 32]
                                        [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from longbench.adapters.base import ClipAdapter
from longbench.adapters.build import build_model, clip_preprocess
from longbench.adapters.formats import Architecture
from longbench.datasets import LoadOptions
from longbench.encode import Encoder
from longbench.provenance import ModelInfo
from longbench.tasks import get_task

ARCHS = {
    "B": Architecture(512, 768, 12, 16, 224, 4.0, 512, 12, 8, 4.0, 248, 49408),
    "L": Architecture(768, 1024, 24, 14, 224, 4.0, 768, 12, 12, 4.0, 248, 49408),
}


def captions(task_name: str, n: int) -> list[str]:
    """The first n captions of the task's sample (long for urban1k, short for coco)."""
    with tempfile.TemporaryDirectory() as tmp:
        task = get_task(task_name)
        task.write_sample(Path(tmp), n, seed=1)
        return task.load(Path(tmp), LoadOptions()).texts[:n]


def best_of(repeats: int, fn):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(ARCHS), default="B")
    parser.add_argument("--task", choices=("urban1k", "coco"), default="urban1k", help="whose sample captions")
    parser.add_argument("--captions", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    torch.manual_seed(0)
    arch = ARCHS[args.arch]
    model = build_model(arch).eval()
    adapter = ClipAdapter(model, clip_preprocess(arch.image_size),
                          ModelInfo("bench", arch.name, 248, "kps-stretched"))
    texts = captions(args.task, args.captions)
    tokens = adapter.tokenize(texts)
    lengths = tokens.lengths.float()
    encoder = Encoder(adapter, device=args.device, batch_size=args.batch_size, precision="fp32", progress=False)

    padded = Encoder(adapter, device=args.device, batch_size=args.batch_size, precision="fp32", progress=False,
                     trim=False)
    t_full, full = best_of(args.repeats, lambda: padded.texts(texts).vectors)
    t_aware, aware = best_of(args.repeats, lambda: encoder.texts(texts).vectors)
    print(f"text tower {arch.name}, {len(texts)} {args.task} sample captions, context 248, "
          f"tokens mean {lengths.mean():.0f} max {lengths.max():.0f}, batch {args.batch_size}, {args.device}, "
          f"best of {args.repeats}")
    print(f"full context  : {t_full:8.3f} s")
    print(f"length-aware  : {t_aware:8.3f} s")
    print(f"speed-up      : {t_full / t_aware:8.2f} x")
    print(f"max |diff|    : {np.abs(full - aware).max():.2e}")


if __name__ == "__main__":
    main()
