"""Scorings: how a model's embedding rows are compared (the cosine, or ProLIP's uncertainty-aware csd logit)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from longbench.adapters.core.scoring import COSINE, CSD, SCORINGS, scoring_of
from longbench.errors import UnknownNameError


def test_cosine_rows_are_compared_as_they_are():
    rows = np.eye(3, dtype=np.float32)
    cosine = SCORINGS.get(COSINE)
    flipped = rows[::-1]
    pair = cosine.ranking_pair(rows, flipped)
    assert cosine.means(rows) is rows and pair[0] is rows and pair[1] is flipped


def test_csd_pair_dot_product_is_the_mean_product_minus_half_both_variances():
    rng = np.random.default_rng(0)
    images, texts = rng.normal(size=(4, 6)), rng.normal(size=(5, 6))
    images[:, -1], texts[:, -1] = rng.uniform(0, 3, 4), rng.uniform(0, 3, 5)
    csd = SCORINGS.get(CSD)
    a, b = csd.ranking_pair(images.astype(np.float32), texts.astype(np.float32))
    expected = images[:, :-1] @ texts[:, :-1].T - (images[:, -1:] + texts[:, -1][None, :]) / 2
    assert np.allclose(a @ b.T, expected, atol=1e-5)
    assert csd.means(texts).shape == (5, 5)


def test_a_model_names_its_scoring_in_its_provenance():
    assert scoring_of(SimpleNamespace(provenance=SimpleNamespace(scoring=CSD))).name == CSD
    assert scoring_of(object()).name == COSINE  # nothing named: the cosine
    with pytest.raises(UnknownNameError, match="unknown scoring 'l2'"):
        scoring_of(SimpleNamespace(provenance=SimpleNamespace(scoring="l2")))
