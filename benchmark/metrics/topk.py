"""The k best gallery items per query, under the retrieval tie rule: higher score first, ties to the lower index.

Recall@K only asks whether a target is among the first K, so at scale each query keeps its k best gallery items
instead of a full rank. Every search works in two steps:

1. A backend proposes `k + EXTRA` candidates per query from float32 inner products. Backends are registered in
   `SEARCHES` by name: "chunked" (here: queries in blocks, the gallery in chunks, a running top list, so memory is
   O(query block x gallery chunk + queries x k)) and "faiss" (faiss_index.py).
2. The candidates are re-scored in float64, one product-and-sum per pair, and ordered by the tie rule. A float32
   matrix product rounds the same pair differently depending on where it falls in the product's tiles (two copies
   of one vector can get scores one unit apart), so ties are decided on the float64 scores, where identical
   vectors always tie. The k chosen are provably the true top k when the k-th beats the best score left out (the
   last candidate's float32 score) by more than float32 rounding can explain; a query where it does not (a tie or
   near-tie at the k-th place) is ranked again against the whole gallery in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..lazy import torch
from ..registry import Registry

#: Scores held at once by a search (a query block x a gallery chunk): 2^24 = 64 MiB of float32.
BLOCK_ELEMENTS = 1 << 24
#: Gallery items scored together by the chunked search.
GALLERY_CHUNK = 8192
#: Candidates proposed beyond k, so that the k-th place can be checked against the ones after it.
EXTRA = 16
#: Unit roundoff of float32 and float64: an inner product of length d is within d * u * |q| * |g| of exact.
U32, U64 = 2.0**-24, 2.0**-53

#: (queries [B, d] as numpy and as a tensor, fetch) -> (float32 scores [B, fetch], gallery rows [B, fetch])
Proposer = Callable[[np.ndarray, "torch.Tensor", int], tuple["torch.Tensor", "torch.Tensor"]]


@dataclass
class TopK:
    indices: np.ndarray  # int64 [Q, k]: gallery rows, best first (score descending, index ascending)
    scores: np.ndarray  # float64 [Q, k]


#: name -> search(queries, gallery, k, device) -> TopK
SEARCHES: Registry[Callable[..., TopK]] = Registry("index")


def as_tensor(array: np.ndarray, device: str | torch.device) -> torch.Tensor:
    """float32 rows on `device`; no copy for a float32 C-contiguous array on the CPU."""
    return torch.as_tensor(np.ascontiguousarray(array, dtype=np.float32), device=device)


def order(scores: torch.Tensor, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row sorted by the tie rule: score descending, then index ascending (indices unique per row)."""
    indices, perm = indices.sort(dim=1)
    scores, perm = scores.gather(1, perm).sort(dim=1, descending=True, stable=True)
    return scores, indices.gather(1, perm)


def pair_scores(queries: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """float64 inner products of queries [B, d] with rows [B, n, d]: the same sum for every pair, wherever it is."""
    return (queries.double()[:, None, :] * rows.double()).sum(-1)


def search(queries: np.ndarray, gallery: np.ndarray, k: int, device: str | torch.device, propose: Proposer,
           block_elements: int = BLOCK_ELEMENTS, width: int = 0) -> TopK:
    """Exact top k of each query (module doc), from the candidates `propose` returns for each query block.

    Query blocks are sized so that neither the proposer's `width` scores per query nor the re-scoring's
    [fetch, d] per query exceed `block_elements` in all.
    """
    g = as_tensor(gallery, device)
    k = min(k, len(g))
    fetch = min(len(g), k + EXTRA)
    out = TopK(np.zeros((len(queries), k), dtype=np.int64), np.zeros((len(queries), k), dtype=np.float64))
    if not k:
        return out
    # Left-out items are below the last candidate's float32 score, which may be off by d * U32 * |q| * |g|.
    slack = 1.01 * g.shape[1] * (U32 + U64) * float(g.norm(dim=1).max())
    step = max(1, block_elements // max(width, fetch * g.shape[1]))
    unsure = []
    for start in range(0, len(queries), step):
        block = np.ascontiguousarray(queries[start:start + step], dtype=np.float32)
        q = as_tensor(block, device)
        proposed, candidates = propose(block, q, fetch)
        scores, indices = order(pair_scores(q, g[candidates]), candidates)
        if fetch < len(g):  # else every item was a candidate
            bound = proposed.min(1).values.double() + slack * q.norm(dim=1).double()
            unsure.append(start + (scores[:, k - 1] <= bound).nonzero()[:, 0].cpu().numpy())
        out.scores[start:start + step] = scores[:, :k].cpu().numpy()
        out.indices[start:start + step] = indices[:, :k].cpu().numpy()
    for row in np.concatenate(unsure) if unsure else ():
        out.scores[row], out.indices[row] = _rank_all(as_tensor(queries[row], device), g, k)
    return out


def _rank_all(query: torch.Tensor, gallery: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
    """One query's top k against the whole gallery in float64, a chunk at a time (the fallback)."""
    best = None
    for first in range(0, len(gallery), GALLERY_CHUNK):
        scores = pair_scores(query[None], gallery[None, first:first + GALLERY_CHUNK])
        indices = torch.arange(first, first + scores.shape[1], device=scores.device)[None]
        if best is not None:
            scores, indices = torch.cat([best[0], scores], 1), torch.cat([best[1], indices], 1)
        # Stable: among equal scores the earlier (lower) index stays first.
        scores, perm = scores.sort(dim=1, descending=True, stable=True)
        best = scores[:, :k], indices.gather(1, perm)[:, :k]
    return best[0][0].cpu().numpy(), best[1][0].cpu().numpy()


def _chunk_proposer(gallery: torch.Tensor, chunk: int) -> Proposer:
    def propose(_: np.ndarray, queries: torch.Tensor, fetch: int) -> tuple[torch.Tensor, torch.Tensor]:
        best = None
        for first in range(0, len(gallery), chunk):
            scores = queries @ gallery[first:first + chunk].T
            values, indices = scores.topk(min(fetch, scores.shape[1]), dim=1)
            indices += first
            if best is not None:
                values, indices = torch.cat([best[0], values], 1), torch.cat([best[1], indices], 1)
                values, keep = values.topk(min(fetch, values.shape[1]), dim=1)
                indices = indices.gather(1, keep)
            best = values, indices
        return best

    return propose


@SEARCHES.register("chunked")
def chunked_topk(queries: np.ndarray, gallery: np.ndarray, k: int, device: str | torch.device = "cpu",
                 block_elements: int = BLOCK_ELEMENTS, gallery_chunk: int = GALLERY_CHUNK) -> TopK:
    """Exact top k of `queries @ gallery.T` per row, never holding more than `block_elements` scores at once."""
    g = as_tensor(gallery, device)
    chunk = max(1, min(gallery_chunk, len(g)))
    return search(queries, gallery, k, device, _chunk_proposer(g, chunk), block_elements, width=chunk)
