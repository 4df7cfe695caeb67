"""faiss as the top-k proposer (`--index faiss`): an exact inner-product index, on the GPU where faiss has one.

faiss's `IndexFlatIP` is exact, but its order among equal scores is undefined and its float32 sums round their
own way, so it only proposes candidates: topk.search re-scores them, applies the tie rule and checks the k-th
place (a tie there falls back to a float64 ranking), exactly as for the chunked search. With a CUDA device and a
faiss built with GPU support, the index lives on that GPU.
"""

from __future__ import annotations

import numpy as np
import torch

from .topk import BLOCK_ELEMENTS, SEARCHES, TopK, search


def _flat_index(gallery: np.ndarray, device: torch.device):
    """An exact inner-product index of `gallery`, and the GPU resources it needs (which must outlive it)."""
    import faiss

    index = faiss.IndexFlatIP(gallery.shape[1])
    resources = None
    if device.type == "cuda" and hasattr(faiss, "StandardGpuResources"):
        resources = faiss.StandardGpuResources()
        index = faiss.index_cpu_to_gpu(resources, device.index or 0, index)
    index.add(gallery)
    return index, resources


@SEARCHES.register("faiss")
def faiss_topk(queries: np.ndarray, gallery: np.ndarray, k: int, device: str | torch.device = "cpu",
               block_elements: int = BLOCK_ELEMENTS) -> TopK:
    """Exact top k of `queries @ gallery.T` per row, faiss proposing the candidates."""
    device = torch.device(device)
    gallery = np.ascontiguousarray(gallery, dtype=np.float32)
    index, _resources = _flat_index(gallery, device) if len(gallery) else (None, None)

    def propose(block: np.ndarray, _: torch.Tensor, fetch: int) -> tuple[torch.Tensor, torch.Tensor]:
        scores, rows = index.search(block, fetch)
        return torch.as_tensor(scores, device=device), torch.as_tensor(rows, device=device)

    return search(queries, gallery, k, device, propose, block_elements)
