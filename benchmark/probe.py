"""The effective-length probe: R@1 of 1:1 long-caption retrieval as captions are cut to N tokens or N words.

docs/protocols.md, "Effective text length": the Long-CLIP paper says CLIP's effective text length is under 20
tokens; a token-level replication found R@1 still rising past 20. The two disagree partly on the unit, so the
probe says which it used:

- tokens: at N the caption keeps N tokens in all -- SOT, its first N-2 tokens, EOT -- exactly the model's own
  tokenizer at context N, so N = context length reproduces `longbench run`.
- words: the raw caption is cut to its first N words (`" ".join(caption.split()[:N])`, the author's probe) and
  tokenized at the model's context.

Images are encoded once; each length re-encodes only the captions. "full" is the untruncated run (the model's
context), the reference every length is compared with.

Effective length (per direction): the smallest probed N whose R@1 >= full R@1 - tolerance; null when none does.
Its bootstrap interval: queries are resampled with replacement (the same resample for every length and for the
full point, so the curve and its reference move together), the effective length is recomputed on each resample,
and the interval is the 2.5/97.5 percentiles of those lengths (each a probed N; null where resamples found none).
Plateau length: the smallest probed N after which the curve never rises faster than `tolerance` points per 10
units, measured from N to every later point (so slow cumulative gains count too); null while the curve is still
rising at the longest probed length.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .adapters import ImageTextModel
from .adapters.core.scoring import scoring_of
from .artifacts.outputs import check_output_file
from .artifacts.probes import UNITS, ProbeResult, probe_paths
from .datasets import LoadOptions, RetrievalDataset
from .distributed import current
from .encode import Encoder, TextEmbeddings
from .errors import DataError
from .evaluators.retrieval import drop_captions_of_skipped
from .metrics.registry import DIRECTIONS, recall_name
from .metrics.retrieval import RetrievalRanks, check_index, hits, recall_metrics, retrieval_ranks
from .runner import ModelSpec, RunConfig, environment, load_beside_model, make_encoder, task_warnings
from .tasks import Task, get_task

#: Plateau and the plot speak of gains "per 10 units" (tokens or words).
PLATEAU_SPAN = 10
#: auto lengths: (up to this length, step); finer at the short end, where the curve moves most.
AUTO_STEPS = ((40, 5), (100, 10), (200, 20), (math.inf, 40))
AUTO_START = 5


def truncate_words(caption: str, n: int) -> str:
    """The author's word cut: the first `n` whitespace-separated words, joined by single spaces."""
    return " ".join(caption.split()[:n])


def auto_lengths(max_length: int, start: int = AUTO_START) -> list[int]:
    """`start`, then steps of 5 to 40, 10 to 100, 20 to 200, 40 beyond; always ending at `max_length`."""
    if max_length <= start:
        return [max_length]
    lengths, n = [], start
    while n < max_length:
        lengths.append(n)
        n += next(step for limit, step in AUTO_STEPS if n < limit)
    return [*lengths, max_length]


def parse_lengths(text: str) -> list[int] | None:
    """'5,10,20' -> [5, 10, 20]; 'auto' -> None. A bad entry raises DataError naming it."""
    if text.strip().lower() == "auto":
        return None
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise DataError(f"--lengths {text!r}: expected 'auto' or comma-separated integers such as 5,10,20") from None
    if not values:
        raise DataError(f"--lengths {text!r}: no length given (expected 'auto' or e.g. 5,10,20)")
    return values


def check_lengths(lengths: Sequence[int], unit: str, context_length: int, model: str) -> list[int]:
    """Sorted, de-duplicated lengths; tokens need 2 <= N <= context (SOT and EOT must fit), words N >= 1."""
    low = 2 if unit == "tokens" else 1
    for n in lengths:
        if n < low:
            raise DataError(f"probe length {n} is too short: the {unit} probe needs lengths >= {low}")
        if unit == "tokens" and n > context_length:
            raise DataError(f"probe length {n} exceeds {model}'s context of {context_length} tokens")
    return sorted(set(lengths))


def effective_length(curve: Sequence[tuple[int, float]], full: float, tolerance: float) -> int | None:
    """The smallest length whose value reaches `full - tolerance` (curve: (length, R@1) sorted by length)."""
    return next((n for n, value in curve if value >= full - tolerance), None)


def plateau_length(curve: Sequence[tuple[int, float]], tolerance: float, span: int = PLATEAU_SPAN) -> int | None:
    """The smallest length after which no later point gains `tolerance` or more per `span` units (module doc)."""
    for i, (n, value) in enumerate(curve[:-1]):
        if all(later - value < tolerance * (m - n) / span for m, later in curve[i + 1:]):
            return n
    return None


def effective_length_ci(lengths: Sequence[int], curve_hits: np.ndarray, full_hits: np.ndarray, tolerance: float,
                        samples: int, seed: int = 0) -> list[int | None]:
    """2.5/97.5 percentiles of the effective length over bootstrap resamples of the queries (module doc).

    curve_hits: bool [n_lengths, n_queries], full_hits: bool [n_queries]. Each bound is a probed length, or None
    where that percentile of resamples reached the full R@1 at no probed length.
    """
    n_queries = full_hits.shape[0]
    if samples < 1 or n_queries == 0:
        raise ValueError("bootstrap needs at least one sample and one query")
    rng = np.random.default_rng(seed)
    curve = curve_hits.astype(np.float64)
    full = full_hits.astype(np.float64)
    found = np.empty(samples, dtype=np.int64)  # index into lengths; len(lengths) means "none"
    chunk = max(1, 4_000_000 // max(1, n_queries * (len(lengths) + 1)))
    for start in range(0, samples, chunk):
        idx = rng.integers(0, n_queries, size=(min(chunk, samples - start), n_queries))
        r1 = 100.0 * curve[:, idx].mean(axis=-1)  # [n_lengths, chunk]
        reach = r1 >= 100.0 * full[idx].mean(axis=-1) - tolerance
        found[start:start + idx.shape[0]] = np.where(reach.any(axis=0), reach.argmax(axis=0), len(lengths))
    bounds = np.quantile(found, [0.025, 0.975], method="inverted_cdf")
    return [int(lengths[b]) if b < len(lengths) else None for b in bounds.astype(np.int64)]


def load_one_to_one(task: Task, config: RunConfig) -> RetrievalDataset:
    """The task's dataset, refused unless it is retrieval with exactly one caption per image."""
    name = task.meta.name
    if task.meta.kind != "retrieval":
        raise DataError(f"{name} is a {task.meta.kind} task: the probe needs a 1:1 retrieval task (e.g. urban1k)")
    root = task.root(config.data_root, config.roots)
    dataset = task.load(root, LoadOptions(limit=config.limit, skip_bad_images=config.skip_bad_images))
    per_image = np.bincount(dataset.text_to_image, minlength=len(dataset.images))
    if not isinstance(dataset, RetrievalDataset) or per_image.size == 0 or (per_image != 1).any():
        raise DataError(f"{name} has {len(dataset.texts)} captions for {len(dataset.images)} images: the probe "
                        f"needs a 1:1 task with exactly one caption per image (e.g. urban1k, sharegpt4v-1k)")
    return dataset


def _default_max(adapter: ImageTextModel, texts: Sequence[str], unit: str) -> int:
    """Up to the longest caption, in the model's own tokens (or words), and never past its context."""
    if unit == "words":
        # A word is at least one token, so past `context` words the tokenizer's cut makes every length the same.
        return max(1, min(adapter.context_length, max(len(t.split()) for t in texts)))
    return max(2, min(adapter.context_length, int(adapter.tokenize(texts).raw_lengths.max())))


def _embed(encoder: Encoder, texts: list[str], unit: str, n: int | None) -> TextEmbeddings:
    if n is None:
        return encoder.texts(texts, desc="texts (full)")
    if unit == "tokens":
        return encoder.texts(texts, context_length=n, desc=f"texts @ {n} tokens")
    return encoder.texts([truncate_words(t, n) for t in texts], desc=f"texts @ {n} words")


def _point(n: int, ranks: RetrievalRanks, emb: TextEmbeddings, texts: list[str], unit: str) -> dict[str, float]:
    """Metrics at one length, how many captions the cut shortened, and the mean tokens the model saw."""
    cut = emb.truncated if unit == "tokens" else np.array([len(t.split()) > n for t in texts])
    seen = np.minimum(emb.token_lengths, emb.context_length)
    return {"length": n, **recall_metrics(ranks), "n_cut": int(cut.sum()), "mean_tokens": float(seen.mean())}


def probe(model: str | ImageTextModel | None, task: str | Task, config: RunConfig | None = None, *,
          unit: str = "tokens", lengths: Sequence[int] | None = None, tolerance: float = 1.0,
          bootstrap: int | None = None, checkpoint: Path | str | None = None, label: str | None = None) -> ProbeResult:
    """Probe `model` (a name, an adapter, or None with `checkpoint`) on a 1:1 retrieval `task`.

    lengths: None picks `auto_lengths` up to min(context, longest caption). bootstrap: resamples for the
    effective-length interval (None: config.bootstrap; 0: none). Everything else comes from `config`.
    """
    config = config or RunConfig()
    if unit not in UNITS:
        raise DataError(f"unknown probe unit {unit!r} (expected one of {', '.join(UNITS)})")
    if not tolerance >= 0:
        raise DataError(f"tolerance must be a non-negative number of R@1 points, got {tolerance}")
    samples = config.bootstrap if bootstrap is None else bootstrap
    if samples < 0:
        raise DataError(f"bootstrap samples must be >= 0, got {samples}")
    check_index(config.index)
    task = get_task(task) if isinstance(task, str) else task
    dataset, (adapter, model_seconds) = load_beside_model(lambda: load_one_to_one(task, config),
                                                          ModelSpec(model, checkpoint, label), config)
    files = probe_paths(config.output, adapter.name, task.meta.name, unit)  # a model name that cannot name a folder
    if current().main:  # rank 0 writes them: each can be written where it goes, checked before any encoding
        for path in (files.json, files.csv, files.png):
            check_output_file(path, "probe file")
    context = adapter.context_length
    chosen = check_lengths(lengths, unit, context, adapter.name) if lengths is not None else None
    encoder = make_encoder(adapter, config)

    # The full-context captions are encoded while the image workers decode; captions of images that fail are
    # dropped afterwards (each embedding depends on its own caption only).
    start = time.perf_counter()
    stream = encoder.start_images(dataset.images, dataset.image_ids)
    full_texts = _embed(encoder, dataset.texts, unit, None)
    images = stream.collect()
    timings = {"model_load": model_seconds, "encode_images_and_full_texts": time.perf_counter() - start}
    texts, text_to_image, keep = drop_captions_of_skipped(dataset, images.kept)
    if not texts:
        raise DataError(f"{task.meta.name}: no image could be decoded, nothing to probe")
    chosen = chosen or auto_lengths(_default_max(adapter, texts, unit))

    start = time.perf_counter()
    scoring = scoring_of(adapter)
    full_ranks = retrieval_ranks(*scoring.ranking_pair(images.vectors, full_texts.select(keep).vectors),
                                 text_to_image, device=encoder.device, index=config.index)
    points, curve_ranks = [], []
    for n in chosen:
        emb = _embed(encoder, texts, unit, n)
        ranks = retrieval_ranks(*scoring.ranking_pair(images.vectors, emb.vectors), text_to_image,
                                device=encoder.device, index=config.index)
        points.append(_point(n, ranks, emb, texts, unit))
        curve_ranks.append(ranks)
    timings["encode_texts_and_rank"] = time.perf_counter() - start
    timings.update(encoder.stage_times)

    full = recall_metrics(full_ranks)
    summary = _summarise(chosen, points, full, curve_ranks, full_ranks, tolerance, samples, config.seed)
    return ProbeResult(
        model=adapter.provenance, task=task.meta.name, unit=unit, tolerance=tolerance,
        points=points, full=full, settings=_settings(config, encoder, lengths, samples),
        environment=environment(encoder),
        n_images=len(images.kept), n_texts=len(texts), fingerprint=dataset.fingerprint, timings=timings,
        skipped=[*dataset.skipped, *images.skipped], warnings=task_warnings(task, dataset), **summary)


def _summarise(lengths: list[int], points: list[dict[str, float]], full: dict[str, float],
               curve_ranks: list[RetrievalRanks], full_ranks: RetrievalRanks, tolerance: float, samples: int,
               seed: int) -> dict[str, Any]:
    eff, plateau, ci = {}, {}, {}
    for d in DIRECTIONS:
        curve = [(p["length"], p[recall_name(d, 1)]) for p in points]
        eff[d] = effective_length(curve, full[recall_name(d, 1)], tolerance)
        plateau[d] = plateau_length(curve, tolerance)
        if samples:
            curve_hits = np.stack([hits(getattr(r, d), 1) for r in curve_ranks])
            ci[d] = effective_length_ci(lengths, curve_hits, hits(getattr(full_ranks, d), 1), tolerance, samples,
                                        seed)
    return {"effective_length": eff, "plateau_length": plateau, "effective_length_ci": ci or None}


def _settings(config: RunConfig, encoder: Encoder, lengths: Sequence[int] | None, samples: int) -> dict[str, Any]:
    return {"lengths": "auto" if lengths is None else "given", **encoder.used_settings,
            "precision": config.precision, "limit": config.limit, "skip_bad_images": config.skip_bad_images,
            "bootstrap": {"samples": samples, "seed": config.seed} if samples else None,
            "plateau_span": PLATEAU_SPAN}


__all__ = ["auto_lengths", "check_lengths", "effective_length", "effective_length_ci", "parse_lengths",
           "plateau_length", "probe", "truncate_words"]
