"""faiss as the top-k proposer (`--index faiss`): exact brute-force inner products, on the GPU where faiss has one.

faiss's brute-force search is exact, but its order among equal scores is undefined and its float32 sums round
their own way, so it only proposes candidates: topk.search re-scores them, applies the tie rule and checks the
k-th place (a tie there falls back to a float64 ranking), exactly as for the chunked search.

On the CPU, `faiss.knn` searches the caller's gallery array in place: an `IndexFlatIP` would copy it, which for the
million-caption gallery of the image-to-text direction is 2 GB more (measured: 4.8 GB peak at 1M x 5k with the
index). With a CUDA device and a faiss built with GPU support, the gallery goes into an index on that GPU.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..lazy import torch
from .topk import BLOCK_ELEMENTS, SEARCHES, TopK, search


def _searcher(gallery: np.ndarray, device: torch.device) -> Callable[[np.ndarray, int], tuple]:
    """block, fetch -> (float32 scores, gallery rows) of each block row's `fetch` best gallery items."""
    import faiss

    if device.type == "cuda" and hasattr(faiss, "StandardGpuResources"):
        resources = faiss.StandardGpuResources()
        index = faiss.index_cpu_to_gpu(resources, device.index or 0, faiss.IndexFlatIP(gallery.shape[1]))
        index.add(gallery)
        held = (resources, index)  # the GPU resources must outlive the index
        return lambda block, fetch: held[1].search(block, fetch)
    return lambda block, fetch: faiss.knn(block, gallery, fetch, metric=faiss.METRIC_INNER_PRODUCT)


@SEARCHES.register("faiss")
def faiss_topk(queries: np.ndarray, gallery: np.ndarray, k: int, device: str | torch.device = "cpu",
               block_elements: int = BLOCK_ELEMENTS) -> TopK:
    """Exact top k of `queries @ gallery.T` per row, faiss proposing the candidates."""
    device = torch.device(device)
    gallery = np.ascontiguousarray(gallery, dtype=np.float32)
    find = _searcher(gallery, device) if len(gallery) else None

    def propose(block: np.ndarray, _: torch.Tensor, fetch: int) -> tuple[torch.Tensor, torch.Tensor]:
        scores, rows = find(block, fetch)
        return torch.as_tensor(scores, device=device), torch.as_tensor(rows, device=device)

    return search(queries, gallery, k, device, propose, block_elements)
