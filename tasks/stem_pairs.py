"""Image files paired with caption files of the same stem (1.jpg <-> 1.txt), as urban1k and `folder:` read them.

Registers nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from longbench.errors import DataError


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
    """Image and caption files by stem; two files of one side sharing a stem (1.jpg and 1.png) are refused, naming
    both: which one goes with 1.txt would be a guess."""
    by_image, by_caption = _by_stem(images, "image"), _by_stem(captions, "caption")
    return StemPairs(by_image, by_caption, sorted(by_image.keys() & by_caption.keys(), key=stem_key),
                     sorted(by_image.keys() ^ by_caption.keys(), key=stem_key))


def _by_stem(files: Iterable[Path], side: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(files):
        other = found.setdefault(path.stem, path)
        if other != path:
            raise DataError(f"{other} and {path.name} are both {side} files of the stem {path.stem!r}; keep one "
                            "(each stem pairs one image with one caption)")
    return found
