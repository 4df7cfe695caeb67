"""Pairing images with caption files by stem: numeric stems first in numeric order, then other stems by string."""

from __future__ import annotations

from pathlib import Path

from longbench.tasks.stem_pairs import pair_by_stem, stem_key


def test_stem_order_is_numeric_then_string():
    assert sorted(["10", "b", "2", "a10", "1", "a2"], key=stem_key) == ["1", "2", "10", "a10", "a2", "b"]


def test_pairs_and_unpaired_stems_in_stem_order():
    images = [Path("i/10.jpg"), Path("i/2.jpg"), Path("i/x.jpg"), Path("i/1.jpg")]
    captions = [Path("c/1.txt"), Path("c/7.txt"), Path("c/10.txt"), Path("c/x.txt")]
    pairs = pair_by_stem(images, captions)
    assert pairs.paired == ["1", "10", "x"] and pairs.unpaired == ["2", "7"]
    assert pairs.images["10"] == Path("i/10.jpg") and pairs.captions["x"] == Path("c/x.txt")
    assert "2" in pairs.images and "7" not in pairs.images  # which side an unpaired stem is on


def test_a_later_file_of_one_stem_wins():
    pairs = pair_by_stem([Path("a.jpg"), Path("a.png")], [Path("a.txt")])
    assert pairs.paired == ["a"] and pairs.images["a"] == Path("a.png")
