"""Benchmark: a warm (cached) re-run against a cold run of the same job, in one process.

A ViT-B/16-sized model with random weights (timing does not depend on the weights; context 248), a COCO-format
sample job (N images, 5 captions each) written by the COCO sample writer. Times `longbench.run` cold (empty cache),
then warm (same cache), checks the metrics are identical, and prints both times and their ratio.

    python tools/bench_cache.py [--images 100] [--batch-size 32] [--device cpu]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from longbench.adapters.base import ClipAdapter
from longbench.adapters.build import build_model, clip_preprocess
from longbench.adapters.formats import Architecture
from longbench.provenance import ModelInfo
from longbench.runner import RunConfig, run
from longbench.tasks import get_task

VIT_B16 = Architecture(512, 768, 12, 16, 224, 4.0, 512, 12, 8, 4.0, 248, 49408)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    torch.manual_seed(0)
    adapter = ClipAdapter(build_model(VIT_B16).eval(), clip_preprocess(VIT_B16.image_size),
                          ModelInfo("bench", VIT_B16.name, 248, "kps-stretched"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        task = get_task("coco")
        task.write_sample(task.root(root), args.images, seed=0)
        config = RunConfig(data_root=root, output=root / "results", device=args.device, batch_size=args.batch_size,
                           precision="fp32", progress=False, cache_dir=root / "cache")
        times, metrics = [], []
        for _ in ("cold", "warm"):
            start = time.perf_counter()
            result = run(adapter, "coco", config)[0].result
            times.append(time.perf_counter() - start)
            metrics.append(result.metrics)
        n_texts = result.task.n_texts
    print(f"{VIT_B16.name}-sized random model, COCO-format sample: {args.images} images, {n_texts} captions, "
          f"batch {args.batch_size}, {args.device}")
    print(f"cold run : {times[0]:8.2f} s")
    print(f"warm run : {times[1]:8.2f} s  ({result.environment['embedding_cache']})")
    print(f"warm/cold: {times[1] / times[0]:8.1%}; metrics identical: {metrics[0] == metrics[1]}")


if __name__ == "__main__":
    main()
