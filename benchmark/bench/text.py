"""Text: tokenization rate, and length-aware encoding against full-context encoding (`Encoder(trim=False)`)."""

from __future__ import annotations

import time

import numpy as np

from ..datasets import LoadOptions
from ..tasks import get_task
from .base import BenchContext, Section, register_section


@register_section("text", order=20)
def text(ctx: BenchContext) -> Section:
    encoder = ctx.encoder()
    captions = get_task("coco").load(ctx.job.root / "coco", LoadOptions()).texts
    start = time.perf_counter()
    encoder.adapter.tokenize(captions[:1])
    tokenizer_start = time.perf_counter() - start
    start = time.perf_counter()
    tokens = encoder.adapter.tokenize(captions)
    tokenize = time.perf_counter() - start
    aware, t_aware = encode_only(encoder, captions)
    full, t_full = encode_only(ctx.encoder(trim=False), captions)
    n, context = len(captions), tokens.ids.shape[1]
    rows = [
        ("tokenizer start", f"{tokenizer_start:.2f}", "", "first call in a process (e.g. the BPE table)"),
        ("tokenize", f"{tokenize:.2f}", f"{n / tokenize:.0f}", f"mean {tokens.lengths.float().mean():.1f} tokens"),
        ("length-aware encode", f"{t_aware:.2f}", f"{n / t_aware:.0f}", "batches cut at their longest caption"),
        ("full-context encode", f"{t_full:.2f}", f"{n / t_full:.0f}", f"every caption padded to {context} tokens"),
    ]
    return Section(f"text: {n} captions, context {context}, batch {encoder.batch_size}, {encoder.device}",
                   ("path", "seconds", "texts/s", "note"), rows,
                   [f"length-aware encoding is {t_full / t_aware:.2f}x full context (tokenization excluded from "
                    f"both); max |difference| of the embeddings {np.abs(full - aware).max():.1e} (float rounding)"])


def encode_only(encoder, captions: list[str]) -> tuple[np.ndarray, float]:
    """Embeddings of `captions` and the seconds spent encoding them, tokenization excluded."""
    encoder.stage_times.clear()
    start = time.perf_counter()
    vectors = encoder.texts(captions).vectors
    return vectors, time.perf_counter() - start - encoder.stage_times["tokenize"]
