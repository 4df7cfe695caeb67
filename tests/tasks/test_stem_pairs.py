"""Pairing images with caption files by stem: numeric stems first in numeric order, then other stems by string."""

from __future__ import annotations

from pathlib import Path

import pytest

from longbench.errors import DataError
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


def test_two_files_of_one_stem_on_one_side_are_refused_naming_both():
    with pytest.raises(DataError, match=r"a\.jpg and a\.png are both image files of the stem 'a'; keep one"):
        pair_by_stem([Path("a.png"), Path("a.jpg")], [Path("a.txt")])
    with pytest.raises(DataError, match=r"b\.txt and b\.txt are both caption files"):
        pair_by_stem([Path("b.jpg")], [Path("x/b.txt"), Path("y/b.txt")])
