"""Image-text retrieval: encode images and captions, rank, Recall@K, bootstrap, truncation and length buckets."""

from __future__ import annotations

import time

import numpy as np

from ..adapters.core.scoring import scoring_of
from ..artifacts.results import Truncation
from ..datasets import RetrievalDataset
from ..encode import Encoder, TextEmbeddings
from ..metrics.bootstrap import bootstrap_ci
from ..metrics.rank_memo import remembered_ranks
from ..metrics.registry import DEFAULT_KS, I2T, T2I, recall_name
from ..metrics.retrieval import (
    NDCG_DEPTH,
    RetrievalRanks,
    first_ranks,
    query_scores,
    recall_at_k,
    retrieval_metrics,
)
from .base import EvalOptions, Evaluation, register_evaluator

#: Caption-length buckets in tokens, SOT and EOT included (the unit of a model's context length).
LENGTH_BUCKETS = (("<=20", 0, 20), ("21-77", 21, 77), ("78-248", 78, 248), (">248", 249, None))


@register_evaluator("retrieval")
def evaluate_retrieval(encoder: Encoder, dataset: RetrievalDataset, options: EvalOptions) -> Evaluation:
    timings: dict[str, float] = {}
    # Workers decode images while this process tokenizes and encodes the captions; the captions of images that
    # fail to decode are dropped afterwards (each embedding depends on its own caption only).
    start = time.perf_counter()
    stream = encoder.start_images(dataset.images, dataset.image_ids, desc=f"{dataset.task} images")
    timings["start_images"] = time.perf_counter() - start

    start = time.perf_counter()
    all_texts = encoder.texts(dataset.texts, desc=f"{dataset.task} captions")
    timings["encode_texts"] = time.perf_counter() - start

    start = time.perf_counter()
    images = stream.collect()
    timings["encode_images"] = time.perf_counter() - start
    _, text_to_image, keep = drop_captions_of_skipped(dataset, images.kept)
    text_emb = all_texts.select(keep)

    start = time.perf_counter()
    # The rows whose dot product is the model's retrieval score (adapters/core/scoring.py: the cosine, or csd).
    image_rows, text_rows = scoring_of(encoder.adapter).ranking_pair(images.vectors, text_emb.vectors)
    ranks = remembered_ranks(image_rows, text_rows, text_to_image, device=encoder.settings.device_name,
                             index=options.index, k=max(*options.recall_ks, NDCG_DEPTH), cache=options.cache,
                             cache_home=options.cache_dir)
    metrics = retrieval_metrics(ranks, options.recall_ks)
    ci = retrieval_ci(ranks, options.recall_ks, options.bootstrap, options.seed) if options.bootstrap else {}
    timings["metrics"] = time.perf_counter() - start
    return Evaluation(
        metrics=metrics, ci=ci, by_length=length_buckets(text_emb, ranks, options.recall_ks),
        truncation=truncation_report(text_emb), timings=timings, skipped=images.skipped,
        counts={"skipped_images": len(images.skipped),
                "captions_of_skipped_images": int((~keep).sum())},
        warnings=[] if ranks.depth is None else [
            f"MRR and median rank left out: --index {options.index} ranks the top {ranks.depth} items only "
            "(--index dense gives every rank)"])


def drop_captions_of_skipped(dataset: RetrievalDataset,
                             kept: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Captions whose image decoded, with image indices renumbered to the kept images' rows, and the mask of them."""
    remap = np.full(len(dataset.images), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    new_index = remap[dataset.text_to_image]
    keep = new_index >= 0
    return [t for t, k in zip(dataset.texts, keep, strict=True) if k], new_index[keep], keep


def retrieval_ci(ranks: RetrievalRanks, ks: tuple[int, ...], samples: int, seed: int) -> dict[str, list[float]]:
    """95% intervals: I2T metrics resample images, T2I metrics resample captions."""
    ci = {name: bootstrap_ci(scores, samples, seed) for name, scores in query_scores(ranks, ks).items()}
    ci.update({name: bootstrap_ci(r, samples, seed, scale=1.0, statistic=np.median)
               for name, r in first_ranks(ranks).items()})
    return ci


def length_buckets(text_emb: TextEmbeddings, ranks: RetrievalRanks,
                   ks: tuple[int, ...] = DEFAULT_KS) -> dict[str, dict[str, float]]:
    """Recall per caption-length bucket; empty buckets omitted.

    T2I: the captions in the bucket as queries. I2T: per (image, caption) pair, whether that caption is in the top
    K for its image (for 1:1 datasets this is the usual I2T recall of the bucket's images).
    """
    out: dict[str, dict[str, float]] = {}
    lengths = text_emb.token_lengths
    for name, low, high in LENGTH_BUCKETS:
        mask = (lengths >= low) & (lengths <= (high if high is not None else np.iinfo(np.int64).max))
        if not mask.any():
            continue
        row: dict[str, float] = {"n_texts": int(mask.sum())}
        row.update({recall_name(I2T, k): recall_at_k(ranks.pair_i2t[mask], k) for k in ks})
        row.update({recall_name(T2I, k): recall_at_k(ranks.t2i[mask], k) for k in ks})
        out[name] = row
    return out


def truncation_report(text_emb: TextEmbeddings) -> Truncation:
    """How many captions exceeded the context; tokens lost averaged over the truncated captions only."""
    lost = text_emb.tokens_lost
    cut = lost[lost > 0]
    return Truncation(n_texts=len(lost), n_truncated=len(cut), mean_tokens_lost=float(cut.mean()) if len(cut) else 0.0,
                      max_tokens_lost=int(cut.max()) if len(cut) else 0)
