"""Recall@K for image-text retrieval, as CLIP and CLIP_benchmark define it ("hit@K", PROTOCOLS.md 2).

- T2I: a caption scores a hit at K if its image is among the top K images.
- I2T: an image scores a hit at K if ANY of its captions is among the top K captions.

Ranks are exact and deterministic: the rank of a target is the number of candidates with a higher score plus the
number with an equal score and a lower index (ties go to the lower index). No sort, so no dependence on a sort's
tie behaviour; similarities are computed in blocks so memory stays bounded on 25k x 5k problems.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

KS = (1, 5, 10)


@dataclass
class RetrievalRanks:
    i2t: np.ndarray  # int [n_images]: rank of the best-ranked caption of each image
    t2i: np.ndarray  # int [n_texts]: rank of each caption's image
    pair_i2t: np.ndarray  # int [n_texts]: rank of caption t among all captions for its own image


def _target_ranks(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Rank of column targets[r] within row r of scores (0 = best), ties to the lower index."""
    value = scores.gather(1, targets[:, None])
    higher = (scores > value).sum(1)
    cols = torch.arange(scores.shape[1], device=scores.device)
    tied_before = ((scores == value) & (cols[None, :] < targets[:, None])).sum(1)
    return higher + tied_before


def retrieval_ranks(image_emb: np.ndarray, text_emb: np.ndarray, text_to_image: np.ndarray,
                    block: int = 1024) -> RetrievalRanks:
    """Ranks for both directions from L2-normalised embeddings (cosine similarity)."""
    img = torch.from_numpy(np.ascontiguousarray(image_emb, dtype=np.float32))
    txt = torch.from_numpy(np.ascontiguousarray(text_emb, dtype=np.float32))
    t2i_gt = torch.from_numpy(np.asarray(text_to_image, dtype=np.int64))
    n_img, n_txt = img.shape[0], txt.shape[0]
    if n_txt and (t2i_gt.min() < 0 or t2i_gt.max() >= n_img):
        raise ValueError("text_to_image points outside the image list")
    t2i = torch.empty(n_txt, dtype=torch.long)
    pair = torch.empty(n_txt, dtype=torch.long)
    for start in range(0, n_txt, block):
        sl = slice(start, start + block)
        t2i[sl] = _target_ranks(txt[sl] @ img.T, t2i_gt[sl])
        # Row r is the score of every caption for caption r's image; caption r is the target.
        own = torch.arange(start, min(start + block, n_txt))
        pair[sl] = _target_ranks(img[t2i_gt[sl]] @ txt.T, own)
    i2t = np.full(n_img, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(i2t, t2i_gt.numpy(), pair.numpy())
    return RetrievalRanks(i2t=i2t, t2i=t2i.numpy(), pair_i2t=pair.numpy())


def hits(ranks: np.ndarray, k: int) -> np.ndarray:
    return ranks < k


def recall_at_k(ranks: np.ndarray, k: int) -> float:
    """Percentage of queries whose rank is < k."""
    return float(100.0 * hits(ranks, k).mean()) if len(ranks) else float("nan")


def recall_metrics(ranks: RetrievalRanks, ks: tuple[int, ...] = KS) -> dict[str, float]:
    """{'i2t_r1': .., 'i2t_r5': .., 'i2t_r10': .., 't2i_r1': .., ...} in percent."""
    out = {f"i2t_r{k}": recall_at_k(ranks.i2t, k) for k in ks}
    out.update({f"t2i_r{k}": recall_at_k(ranks.t2i, k) for k in ks})
    return out
