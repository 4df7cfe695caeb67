"""The synthetic captions the sample writers and `longbench bench` use."""

from __future__ import annotations

from longbench.tasks.sample_captions import distinct_short_captions, sample_rng


def test_distinct_short_captions_are_all_different_while_the_combinations_last():
    captions = distinct_short_captions(sample_rng(0, "t"), 25_000)
    assert len(set(captions)) == 25_000 and all(c[0].isupper() and c.endswith(".") for c in captions)
    assert captions == distinct_short_captions(sample_rng(0, "t"), 25_000)  # deterministic per seed
    assert len(distinct_short_captions(sample_rng(0, "t"), 40_000)) == 40_000  # beyond 32,000: repeats allowed
