"""Where a cold run's wall time goes, stage by stage, and the image and text rates against the bare model."""

from __future__ import annotations

import time

import torch
from PIL import Image

from .base import BenchContext, Section, register_section


@register_section("stages", order=10)
def stages(ctx: BenchContext) -> Section:
    cold = ctx.cold()
    t, env = cold.timings, cold.result["environment"]
    parts = [
        ("start-up and exit", cold.wall - cold.run, f"interpreter, imports ({cold.imports:.1f} s), process exit"),
        ("model load", t["model_load"], "read, hash, build (beside listing)"),
        ("listing", t["load"], "dataset files and captions (beside model load)"),
        ("decode", t["decode"], "main process waiting for decoded images"),
        ("image encode", t["encode_images"] - t["decode"], "encode_image forward passes"),
        ("tokenize", t["tokenize"], ""),
        ("text encode", t["encode_texts"] - t["tokenize"], "length-aware batches"),
        ("metrics", t["metrics"], "ranks, Recall@K"),
        ("write", cold.write, "result JSON"),
    ]
    accounted = (max(t["load"], t["model_load"]) + t["start_images"] + t["encode_texts"]
                 + t["encode_images"] + t["metrics"] + cold.write)
    parts.append(("other", cold.run - accounted, "worker start-up, setup between stages"))
    rows = [(name, f"{seconds:.2f}", f"{100 * seconds / cold.wall:.0f}", note) for name, seconds, note in parts]
    rows.append(("total (wall)", f"{cold.wall:.2f}", "100", "one `longbench run` process, cold"))
    return Section(
        f"stages of a cold run: {ctx.job.n_images} images, {ctx.job.n_texts} captions, {env['device']}, "
        f"{env['dtype']}, batch {env['batch_size']}, workers {env['workers']}, decode {env['decode']}",
        ("stage", "seconds", "% of wall", "what"), rows,
        ["model load and listing overlap (two threads); decoding overlaps text encoding when workers > 0"])


@register_section("throughput", order=15)
def throughput(ctx: BenchContext) -> Section:
    cold = ctx.cold()
    t = cold.timings
    n_images, n_texts = ctx.job.n_images, ctx.job.n_texts
    bare, batch, n_bare = bare_image_rate(ctx)
    pipeline = n_images / max(t["encode_images"] + t["start_images"], 1e-9)
    text_rate = n_texts / max(t["encode_texts"], 1e-9)
    rows = [
        ("images/s, pipeline", f"{pipeline:.1f}", f"decode + encode of {n_images} images ({100 * pipeline / bare:.0f}% "
                                                  f"of bare)"),
        ("images/s, bare encode_image", f"{bare:.1f}", f"{n_bare} pre-decoded images, batch {batch}, same device"),
        ("texts/s, pipeline", f"{text_rate:.1f}", f"tokenize + encode of {n_texts} captions"),
    ]
    return Section("throughput", ("measure", "rate", "how"), rows)


def bare_image_rate(ctx: BenchContext) -> tuple[float, int, int]:
    """Images/s of encode_image alone on random pre-decoded pixels: the ceiling the pipeline is measured against.

    One warm-up batch, then up to 4 batches (at most the job's image count), synchronised on accelerators.
    """
    encoder = ctx.encoder()
    shape = encoder.adapter.preprocess(Image.new("RGB", (64, 48))).shape  # whatever size the model's transform makes
    batch = min(encoder.batch_size, ctx.job.n_images)
    pixels = torch.randn(batch, *shape, generator=torch.Generator().manual_seed(0)).to(encoder.device)
    n_batches = max(1, min(4, ctx.job.n_images // batch))
    with encoder._autocast():
        encoder.adapter.encode_image(pixels)
        _sync(encoder.device)
        start = time.perf_counter()
        for _ in range(n_batches):
            encoder.adapter.encode_image(pixels)
        _sync(encoder.device)
    return n_batches * batch / (time.perf_counter() - start), batch, n_batches * batch


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
