"""Recall@K for image-text retrieval, as CLIP and CLIP_benchmark define it (hit@K; docs/protocols.md, "Retrieval").

- T2I: a caption scores a hit at K if its image is among the top K images.
- I2T: an image scores a hit at K if ANY of its captions is among the top K captions.

Ranks are exact and deterministic: the rank of a target is the number of candidates with a higher score plus the
number with an equal score and a lower index (ties go to the lower index). No sort, so no dependence on a sort's
tie behaviour; similarities are computed in blocks so memory stays bounded on 25k x 5k problems.

Indexes (`index=`, `--index`): "dense" computes every rank exactly as above. A top-k search ("chunked", "faiss";
topk.py) keeps each query's k best items under the same tie rule, so ranks below k are the same and a rank of k or
more is reported as k: hit@K for every K <= k is unchanged. "auto" is dense up to `DENSE_LIMIT` image-caption pairs
and a top-k search above (bounded memory for million-scale galleries): `resolve_index`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from ..errors import UnknownNameError
from ..lazy import torch
from . import faiss_index  # noqa: F401 -- registers the faiss search
from .registry import DEFAULT_KS, I2T, T2I, metric_order, rank_metric, recall_name
from .topk import SEARCHES

INDEXES = ("auto", "dense", *SEARCHES)
#: Above this many image-caption pairs, "auto" searches top-k instead of ranking densely.
DENSE_LIMIT = 1 << 30


def check_index(name: str) -> str:
    if name not in INDEXES:
        raise UnknownNameError(f"unknown index {name!r} (expected one of {', '.join(INDEXES)})")
    return name


def resolve_index(name: str, pairs: int) -> str:
    """`auto`: dense up to DENSE_LIMIT image-caption pairs; above, faiss (measured 1.5x the chunked search at 100k x
    100k on 2 CPU cores, the same recalls and memory), or chunked where faiss cannot be imported."""
    if name != "auto":
        return name
    if pairs <= DENSE_LIMIT:
        return "dense"
    return "faiss" if importlib.util.find_spec("faiss") else "chunked"


@dataclass
class RetrievalRanks:
    """Ranks from 0 (best); from a top-k search, ranks of k or more read k (images without captions: int64 max)."""

    i2t: np.ndarray  # int [n_images]: rank of the best-ranked caption of each image
    t2i: np.ndarray  # int [n_texts]: rank of each caption's image
    pair_i2t: np.ndarray  # int [n_texts]: rank of caption t among all captions for its own image
    text_to_image: np.ndarray  # int [n_texts]: each caption's image (the ground truth the ranks are of)
    #: None when every rank is exact (dense); k when ranks of k or more read k (a top-k search).
    depth: int | None = None


def _target_ranks(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Rank of column targets[r] within row r of scores (0 = best), ties to the lower index."""
    value = scores.gather(1, targets[:, None])
    higher = (scores > value).sum(1)
    cols = torch.arange(scores.shape[1], device=scores.device)
    tied_before = ((scores == value) & (cols[None, :] < targets[:, None])).sum(1)
    return higher + tied_before


def retrieval_ranks(image_emb: np.ndarray, text_emb: np.ndarray, text_to_image: np.ndarray,
                    block_elements: int = 1 << 25, device: str | torch.device = "cpu", index: str = "dense",
                    k: int = max(DEFAULT_KS)) -> RetrievalRanks:
    """Ranks for both directions from L2-normalised embeddings (cosine similarity).

    Work is done in blocks of at most `block_elements` similarities, on `device` (the GPU when there is one).
    `index` picks dense ranks or a top-`k` search (module doc).
    """
    index = resolve_index(index, len(image_emb) * len(text_emb))
    if index != "dense":
        return topk_ranks(image_emb, text_emb, text_to_image, k, index, device)
    img = torch.as_tensor(np.ascontiguousarray(image_emb, dtype=np.float32), device=device)
    txt = torch.as_tensor(np.ascontiguousarray(text_emb, dtype=np.float32), device=device)
    gt = torch.as_tensor(np.asarray(text_to_image, dtype=np.int64), device=device)
    n_img, n_txt = img.shape[0], txt.shape[0]
    if n_txt and (gt.min() < 0 or gt.max() >= n_img):
        raise ValueError("text_to_image points outside the image list")
    t2i = torch.empty(n_txt, dtype=torch.long, device=device)
    step = max(1, block_elements // max(n_img, 1))
    for start in range(0, n_txt, step):
        sl = slice(start, start + step)
        t2i[sl] = _target_ranks(txt[sl] @ img.T, gt[sl])
    pair = _pair_ranks(img, txt, gt, block_elements)
    i2t = np.full(n_img, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(i2t, gt.cpu().numpy(), pair)
    return RetrievalRanks(i2t=i2t, t2i=t2i.cpu().numpy(), pair_i2t=pair, text_to_image=gt.cpu().numpy())


def topk_ranks(image_emb: np.ndarray, text_emb: np.ndarray, text_to_image: np.ndarray, k: int, index: str,
               device: str | torch.device = "cpu") -> RetrievalRanks:
    """Ranks below `k` from the `index` search's top k in each direction; k for everything further down."""
    search = SEARCHES.get(index)
    gt = np.asarray(text_to_image, dtype=np.int64)
    n_img, n_txt = len(image_emb), len(text_emb)
    if n_txt and (gt.min() < 0 or gt.max() >= n_img):
        raise ValueError("text_to_image points outside the image list")
    t2i = _position(search(text_emb, image_emb, k, device).indices, gt, k)
    top_captions = search(image_emb, text_emb, k, device).indices  # [n_img, k]
    own = gt[top_captions] == np.arange(n_img)[:, None]
    pair = np.full(n_txt, k, dtype=np.int64)
    rows, places = own.nonzero()
    pair[top_captions[rows, places]] = places
    i2t = np.full(n_img, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(i2t, gt, pair)
    return RetrievalRanks(i2t=i2t, t2i=t2i, pair_i2t=pair, text_to_image=gt, depth=k)


def _position(top: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """Where each row's target sits in its top list, or k when it is not there."""
    found = top == targets[:, None]
    return np.where(found.any(1), found.argmax(1), k)


def _pair_ranks(img: torch.Tensor, txt: torch.Tensor, gt: torch.Tensor, block_elements: int) -> np.ndarray:
    """Rank of each caption among all captions for its own image.

    Blocks run over images, so each image's similarity row is computed once and then compared with each of its
    captions (a 5-caption dataset would otherwise compute every row five times).
    """
    by_image = torch.argsort(gt, stable=True)
    bounds = torch.searchsorted(gt[by_image], torch.arange(img.shape[0] + 1, device=gt.device))
    most = int((bounds[1:] - bounds[:-1]).max()) if len(gt) else 1
    step = max(1, block_elements // max(txt.shape[0] * most, 1))
    pair = torch.empty(len(gt), dtype=torch.long, device=gt.device)
    for start in range(0, img.shape[0], step):
        stop = min(start + step, img.shape[0])
        captions = by_image[bounds[start]:bounds[stop]]
        rows = (img[start:stop] @ txt.T)[gt[captions] - start]
        pair[captions] = _target_ranks(rows, captions)
    return pair.cpu().numpy()


def hits(ranks: np.ndarray, k: int) -> np.ndarray:
    return ranks < k


def recall_at_k(ranks: np.ndarray, k: int) -> float:
    """Percentage of queries whose rank is < k."""
    return float(100.0 * hits(ranks, k).mean()) if len(ranks) else float("nan")


def recall_metrics(ranks: RetrievalRanks, ks: tuple[int, ...] = DEFAULT_KS) -> dict[str, float]:
    """Recall@k of both directions for each k, in percent, under the registry's names."""
    out = {recall_name(I2T, k): recall_at_k(ranks.i2t, k) for k in ks}
    out.update({recall_name(T2I, k): recall_at_k(ranks.t2i, k) for k in ks})
    return out


#: nDCG's cut-off; a top-k search keeps at least this many items, so nDCG@10 is exact under every index.
NDCG_DEPTH = 10
_DISCOUNT = 1.0 / np.log2(np.arange(NDCG_DEPTH) + 2.0)  # rank r (0-based) -> 1 / log2(r + 2)
_IDEAL = np.concatenate([[0.0], np.cumsum(_DISCOUNT)])  # ideal DCG of n relevant items, n = 0..10


def ndcg_scores(ranks: RetrievalRanks, direction: str) -> np.ndarray:
    """Per-query binary-relevance nDCG@10: I2T over every caption of the image, T2I over its one image."""
    if direction == T2I:
        return np.where(ranks.t2i < NDCG_DEPTH, _DISCOUNT[np.minimum(ranks.t2i, NDCG_DEPTH - 1)], 0.0)
    gt = ranks.text_to_image
    pair = ranks.pair_i2t
    gains = np.where(pair < NDCG_DEPTH, _DISCOUNT[np.minimum(pair, NDCG_DEPTH - 1)], 0.0)
    dcg = np.bincount(gt, weights=gains, minlength=len(ranks.i2t))
    ideal = _IDEAL[np.minimum(np.bincount(gt, minlength=len(ranks.i2t)), NDCG_DEPTH)]
    return np.divide(dcg, ideal, out=np.zeros_like(dcg), where=ideal > 0)  # an image without captions scores 0


def query_scores(ranks: RetrievalRanks, ks: tuple[int, ...] = DEFAULT_KS) -> dict[str, np.ndarray]:
    """Per-query scores in [0, 1] whose mean (in percent) is each mean-type metric: hit@k, the reciprocal rank of the
    first relevant item (exact ranks only), the same cut at 10, nDCG@10."""
    out: dict[str, np.ndarray] = {}
    for direction, first in ((I2T, ranks.i2t), (T2I, ranks.t2i)):
        out.update({recall_name(direction, k): hits(first, k).astype(np.float64) for k in ks})
        if ranks.depth is None:
            out[rank_metric(direction, "mrr").name] = 1.0 / (first.astype(np.float64) + 1.0)
        # Needs only the top 10, which a top-k search keeps (NDCG_DEPTH): exact under every index.
        out[rank_metric(direction, "mrr10").name] = np.where(first < NDCG_DEPTH, 1.0 / (first + 1.0), 0.0)
        out[rank_metric(direction, "ndcg10").name] = ndcg_scores(ranks, direction)
    return out


def first_ranks(ranks: RetrievalRanks) -> dict[str, np.ndarray]:
    """1-based rank of each query's first relevant item, per direction's median-rank metric (exact ranks only)."""
    if ranks.depth is not None:
        return {}
    return {rank_metric(d, "median_rank").name: first.astype(np.float64) + 1.0
            for d, first in ((I2T, ranks.i2t), (T2I, ranks.t2i))}


def retrieval_metrics(ranks: RetrievalRanks, ks: tuple[int, ...] = DEFAULT_KS) -> dict[str, float]:
    """Every retrieval metric (metrics/registry.py) of `ranks`: Recall@k for each k, MRR and nDCG@10 in percent,
    median rank; MRR and the median rank need exact ranks and are left out after a top-k search."""
    out = {name: float(100.0 * s.mean()) if len(s) else float("nan") for name, s in query_scores(ranks, ks).items()}
    out.update({name: float(np.median(r)) if len(r) else float("nan") for name, r in first_ranks(ranks).items()})
    return {name: out[name] for name in metric_order(out)}
