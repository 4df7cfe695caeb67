"""Image files paired with caption files of the same stem (1.jpg <-> 1.txt), as urban1k and `folder:` read them.

Registers nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def stem_key(stem: str) -> tuple[int, int, str]:
    """Numeric stems in numeric order (1, 2, ..., 10), then any other stems in string order."""
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)


@dataclass(frozen=True)
class StemPairs:
    images: dict[str, Path]
    captions: dict[str, Path]
    #: Stems with both an image and a caption file, in `stem_key` order.
    paired: list[str]
    #: Stems with only one of the two, in `stem_key` order.
    unpaired: list[str]


def pair_by_stem(images: Iterable[Path], captions: Iterable[Path]) -> StemPairs:
    """Image and caption files by stem; of two files of one side sharing a stem, the later one is kept."""
    by_image = {p.stem: p for p in images}
    by_caption = {p.stem: p for p in captions}
    return StemPairs(by_image, by_caption, sorted(by_image.keys() & by_caption.keys(), key=stem_key),
                     sorted(by_image.keys() ^ by_caption.keys(), key=stem_key))
