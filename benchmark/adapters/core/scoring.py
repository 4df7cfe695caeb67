"""How a model's embeddings are compared, as its authors compare them.

Every CLIP-style model ranks by the cosine of L2-normalised embeddings (`cosine`). A probabilistic model can carry
more per row: ProLIP's rows are its L2-normalised mean embedding followed by one column, the summed variance
s = sum(exp(log_var)), and its authors' retrieval (`run_ret` in naver-ai/prolip) ranks by the uncertainty-aware
logit mean_i . mean_t - s_candidate / 2 (`csd`), while their zero-shot classifier uses the means alone.

So a scoring says two things: `means(rows)`, the part zero-shot classification (and anything comparing by cosine)
reads; and `ranking_pair(images, texts)`, rows whose plain dot product is the retrieval score. For csd that is
[mean_i, 1, -s_i / 2] . [mean_t, -s_t / 2, 1] = mean_i . mean_t - (s_i + s_t) / 2: for an image query the -s_i / 2
term is the same for every caption (and the other way round), so each direction ranks exactly as the authors' code,
whose ties also go to the lower index (a stable argsort).

A model names its scoring in its provenance (`ModelInfo.scoring`), so every result records it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...registry import Registry

COSINE = "cosine"
CSD = "csd"


Pair = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Scoring:
    name: str
    description: str
    #: Columns after the mean embedding in each row.
    extra: int = 0
    #: (image rows, text rows) -> rows whose dot product is the retrieval score; None: the rows themselves.
    pair: Pair | None = None

    def means(self, rows: np.ndarray) -> np.ndarray:
        return rows[:, :rows.shape[1] - self.extra] if self.extra else rows

    def ranking_pair(self, images: np.ndarray, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.pair(images, texts) if self.pair else (images, texts)


def _csd_pair(images: np.ndarray, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _augment(images, image_side=True), _augment(texts, image_side=False)


def _augment(rows: np.ndarray, image_side: bool) -> np.ndarray:
    mean, half_variance = rows[:, :-1], -0.5 * rows[:, -1:]
    ones = np.ones_like(half_variance)
    parts = (mean, ones, half_variance) if image_side else (mean, half_variance, ones)
    return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float32)


SCORINGS: Registry[Scoring] = Registry("scoring")
SCORINGS.add(COSINE, Scoring(COSINE, "cosine of the L2-normalised embeddings"))
SCORINGS.add(CSD, Scoring(CSD, "ProLIP's uncertainty-aware logit: mean_i . mean_t - s_candidate / 2 for retrieval "
                               "(the authors' run_ret), the cosine of the means for zero-shot", 1, _csd_pair))


def scoring_of(model: object) -> Scoring:
    """The scoring a model's provenance names (cosine where it names none)."""
    return SCORINGS.get(getattr(getattr(model, "provenance", None), "scoring", COSINE))
