"""Retrieval ranks remembered between runs: a re-run whose embeddings all come from the cache then needs no torch.

Ranking is the one step of such a re-run that would still need torch (retrieval.py ranks with a float32 matrix
product), and importing torch is most of what the re-run would cost (docs/fixed-costs.md). Ranks are a function of
the exact embeddings, the ranking settings and the code that ranks, so they are remembered under the cache home's
`ranks/` (memo.py), keyed by:
- both embedding matrices (shape and bytes) and the caption-to-image map;
- the index as resolved (dense, chunked, faiss) and the top-k depth;
- the device type the ranks are computed on (a GPU's float32 products round differently from a CPU's; the
  embedding cache draws the same line);
- the versions of torch and faiss, and longbench's own source (versions.source_digest).
A hit is the ranks this computation gave for exactly these inputs; anything else (missing, damaged, another shape)
is computed and written. Without the cache (`--no-cache`) nothing is read or written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..cache_home import RANKS
from ..memo import memo_key, read_arrays, write_arrays
from ..settings import device_type
from ..versions import installed_version, source_digest, torch_version
from .retrieval import RetrievalRanks, resolve_index, retrieval_ranks

#: Bump when remembered ranks would differ for the same key.
RANKS_VERSION = 1
#: The depth stored for exact (dense) ranks, which have none.
_EXACT = -1


def remembered_ranks(image_emb: np.ndarray, text_emb: np.ndarray, text_to_image: np.ndarray, *, device: str,
                     index: str, k: int, cache: bool = True, cache_home: Path | None = None) -> RetrievalRanks:
    """`retrieval_ranks(...)` on `device` (a name: cpu, cuda:1), read from the cache home's `ranks/` when these
    inputs were ranked before (module doc); `cache_home` replaces the cache home (--cache-dir)."""
    def compute() -> RetrievalRanks:
        return retrieval_ranks(image_emb, text_emb, text_to_image, device=device, index=index, k=k)

    if not cache:
        return compute()
    gt = np.asarray(text_to_image, dtype=np.int64)
    key = ranks_key(image_emb, text_emb, gt, resolve_index(index, len(image_emb) * len(text_emb)), k, device)
    known = _read(key, len(image_emb), gt, cache_home)
    if known is not None:
        return known
    ranks = compute()
    write_arrays(RANKS, key, {"i2t": ranks.i2t, "t2i": ranks.t2i, "pair_i2t": ranks.pair_i2t,
                              "text_to_image": ranks.text_to_image,
                              "depth": np.array(_EXACT if ranks.depth is None else ranks.depth)}, cache_home)
    return ranks


def ranks_key(image_emb: np.ndarray, text_emb: np.ndarray, text_to_image: np.ndarray, index: str, k: int,
              device: str) -> str:
    return memo_key("ranks", RANKS_VERSION, source_digest(),
                    {"torch": torch_version(), "faiss": installed_version("faiss-cpu")},
                    device_type(device), index, k, _digest(image_emb), _digest(text_emb),
                    np.ascontiguousarray(text_to_image, dtype=np.int64).tobytes())


def _digest(rows: np.ndarray) -> str:
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    return f"{rows.shape}:{hashlib.sha256(rows).hexdigest()}"


def _read(key: str, n_images: int, text_to_image: np.ndarray, cache_home: Path | None) -> RetrievalRanks | None:
    arrays = read_arrays(RANKS, key, cache_home)
    if arrays is None or set(arrays) != {"i2t", "t2i", "pair_i2t", "text_to_image", "depth"}:
        return None
    n_texts = len(text_to_image)
    shapes = {"i2t": (n_images,), "t2i": (n_texts,), "pair_i2t": (n_texts,), "text_to_image": (n_texts,),
              "depth": ()}
    if any(arrays[name].shape != shape or arrays[name].dtype != np.int64 for name, shape in shapes.items()):
        return None
    if not np.array_equal(arrays["text_to_image"], text_to_image):
        return None
    depth = int(arrays["depth"])
    return RetrievalRanks(i2t=arrays["i2t"], t2i=arrays["t2i"], pair_i2t=arrays["pair_i2t"],
                          text_to_image=arrays["text_to_image"], depth=None if depth == _EXACT else depth)
