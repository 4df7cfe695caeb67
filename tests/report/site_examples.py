"""Example results for the web leaderboard: generated numbers (no model ran), with everything a page can show.

Four measured models with bootstrap intervals, recall per caption length, truncation and probes, one imported
model, a subset result and a tie that rounds differently in JavaScript and Python. The browser tests and the
screenshots in docs/img (tools/site_screenshots.py) are drawn from them; the model names say they are examples.
"""

from __future__ import annotations

import hashlib
import math
import random
from pathlib import Path

from longbench.artifacts.probes import ProbeResult, write_probe
from longbench.artifacts.results import ModelInfo, Origin, Result, TaskInfo, Truncation, write_result
from longbench.artifacts.store import result_path

#: name -> (architecture, context length, strength on long captions, strength on short captions)
MODELS = {
    "example-longclip-L": ("ViT-L-14", 248, 0.90, 0.80),
    "example-longclip-B": ("ViT-B-16", 248, 0.86, 0.74),
    "example-clip-L": ("ViT-L-14", 77, 0.70, 0.78),
    "example-clip-B": ("ViT-B-16", 77, 0.62, 0.70),
}
IMPORTED_MODEL = "example-siglip-B"
#: task -> (kind, images, mean caption tokens, difficulty)
TASKS = {
    "urban1k": ("retrieval", 1000, 160, 0.92),
    "sharegpt4v-1k": ("retrieval", 1000, 180, 1.05),
    "docci": ("retrieval", 5000, 140, 0.78),
    "dci-long": ("retrieval", 7805, 200, 0.55),
    "coco": ("retrieval", 5000, 14, 0.62),
    "flickr30k": ("retrieval", 1000, 16, 0.95),
    "imagenet": ("classification", 50000, 0, 0.85),
    "cifar10": ("classification", 10000, 0, 1.08),
    "cifar100": ("classification", 10000, 0, 0.82),
}
BUCKETS = (("<=20", 0, 20), ("21-77", 21, 77), ("78-248", 78, 248), (">248", 249, 10_000))
ENVIRONMENT = {"longbench": "0.1.0", "torch": "2.6.0", "open_clip": "2.29.0", "python": "3.11.2", "device": "cuda",
               "dtype": "fp16", "batch_size": 256, "workers": 8}
CREATED = "2025-01-15T12:00:00+00:00"
#: A value exactly halfway between two printed numbers: Python prints 56.2 (half to even), toFixed 56.3.
TIE = ("example-clip-B", "coco", "i2t_r1", 56.25)


def write_examples(root: Path) -> Path:
    """Write the example result and probe files under `root` (a results folder); returns `root`."""
    rng = random.Random(23)
    for model, spec in MODELS.items():
        for task in TASKS:
            write_result(_result(model, spec, task, rng), result_path(root, model, task))
        _probe(model, spec, root)
    arch, ctx, long_skill, short_skill = "ViT-B-16", 64, 0.60, 0.83
    for task in ("coco", "flickr30k", "imagenet", "cifar10"):
        result = _result(IMPORTED_MODEL, (arch, ctx, long_skill, short_skill), task, rng, bootstrap=False)
        result.origin = Origin("clip_benchmark", "1.6.1", f"benchmark_{task}_{IMPORTED_MODEL}.json")
        result.environment, result.timings, result.truncation, result.by_length = {}, {}, None, {}
        write_result(result, result_path(root, IMPORTED_MODEL, task))
    subset = _result("example-clip-B", MODELS["example-clip-B"], "docci", rng)
    subset.task.limit, subset.task.n_images, subset.task.subset = 500, 500, True
    write_result(subset, result_path(root, "example-clip-B", "docci"))
    return root


def _model_info(model: str, arch: str, ctx: int) -> ModelInfo:
    sha = hashlib.sha256(model.encode()).hexdigest()
    return ModelInfo(model, arch, ctx, "longclip248" if ctx == 248 else "clip77", checkpoint=f"{model}.safetensors",
                     checkpoint_sha256=sha, source="generated example (no weights)", licence="MIT")


def _result(model: str, spec: tuple, task: str, rng: random.Random, bootstrap: bool = True) -> Result:
    arch, ctx, long_skill, short_skill = spec
    kind, images, tokens, difficulty = TASKS[task]
    skill = long_skill if tokens > 77 else short_skill
    metrics, ci = {}, {}
    if kind == "retrieval":
        for direction, shift in (("i2t", 0.02), ("t2i", -0.03)):
            r1 = 100 * min(0.99, skill * difficulty + shift + rng.uniform(-0.02, 0.02))
            for k, gain in ((1, 0.0), (5, 0.6), (10, 0.75)):
                metrics[f"{direction}_r{k}"] = round(r1 + (100 - r1) * gain, 4)
    else:
        acc1 = 100 * min(0.98, short_skill * difficulty + rng.uniform(-0.02, 0.02))
        metrics = {"acc1": round(acc1, 4), "acc5": round(acc1 + (100 - acc1) * 0.7, 4)}
    if (model, task) == TIE[:2]:
        metrics[TIE[2]] = TIE[3]
    if bootstrap:
        width = 100 / math.sqrt(images) * 1.6
        ci = {m: [round(v - width, 4), round(min(100.0, v + width), 4)] for m, v in metrics.items()}
    captions = images * (5 if task in ("coco", "flickr30k") else 1)
    result = Result(
        model=_model_info(model, arch, ctx),
        task=TaskInfo(task, kind, f"{task} (example protocol)", images, hashlib.sha256(task.encode()).hexdigest()[:16],
                      n_texts=captions if kind == "retrieval" else None,
                      n_classes={"imagenet": 1000, "cifar10": 10, "cifar100": 100}.get(task),
                      expected_images=images),
        metrics=metrics,
        environment=dict(ENVIRONMENT),
        timings={"load": 1.5, "encode_images": 20.0, "encode_texts": 4.0, "metrics": 0.2},
        ci=ci,
        bootstrap={"samples": 1000, "seed": 0} if bootstrap else None,
        created=CREATED,
    )
    if kind == "retrieval":
        result.truncation, result.by_length = _lengths(captions, tokens, ctx, metrics, rng)
    return result


def _lengths(captions: int, tokens: int, ctx: int, metrics: dict[str, float],
             rng: random.Random) -> tuple[Truncation, dict[str, dict[str, float]]]:
    lengths = [max(5, int(rng.gauss(tokens, tokens * 0.35))) for _ in range(captions)]
    cut = [n - ctx for n in lengths if n > ctx]
    truncation = Truncation(captions, len(cut), sum(cut) / len(cut) if cut else 0.0, max(cut, default=0))
    by_length: dict[str, dict[str, float]] = {}
    for name, low, high in BUCKETS:
        inside = [n for n in lengths if low <= n <= high]
        if not inside:
            continue
        lost = sum(max(0, n - ctx) / n for n in inside) / len(inside)  # the share of caption text cut away
        row: dict[str, float] = {"n_texts": len(inside)}
        for direction in ("i2t", "t2i"):
            for k in (1, 5, 10):
                full = metrics[f"{direction}_r{k}"]
                row[f"{direction}_r{k}"] = round(max(0.0, full * (1 - 0.8 * lost) + rng.uniform(-1.5, 1.5)), 4)
        by_length[name] = row
    return truncation, by_length


def _probe(model: str, spec: tuple, root: Path) -> None:
    arch, ctx, long_skill, _ = spec
    for unit, lengths in (("tokens", [8, 16, 24, 32, 48, 64, 77, 96, 128, 160, 200, 248]),
                          ("words", [5, 10, 15, 20, 30, 40, 55, 70, 90, 120, 150, 180])):
        usable = [n for n in lengths if unit == "words" or n <= ctx]
        scale = 30.0 if unit == "tokens" else 22.0
        full = {d: 100 * long_skill * 0.92 + shift for d, shift in (("i2t", 2.0), ("t2i", -3.0))}
        points = []
        for n in usable:
            seen = min(n, ctx if unit == "tokens" else ctx * 0.75)
            point = {f"{d}_r1": round(full[d] * (1 - math.exp(-seen / scale)) / (1 - math.exp(-ctx / scale)), 4)
                     for d in full}
            points.append({"length": n, **point, "n_cut": 100, "mean_tokens": float(n)})
        full_r1 = {f"{d}_r1": points[-1][f"{d}_r1"] for d in full}
        effective = {d: next((p["length"] for p in points if full_r1[f"{d}_r1"] - p[f"{d}_r1"] <= 1.0), None)
                     for d in full}
        write_probe(ProbeResult(
            model=_model_info(model, arch, ctx), task="urban1k", unit=unit, tolerance=1.0, points=points,
            full=full_r1, effective_length=effective, plateau_length=effective, settings={}, environment={},
            n_images=1000, n_texts=1000, fingerprint="example", created=CREATED), root)
