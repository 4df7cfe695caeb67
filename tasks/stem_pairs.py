"""Image files paired with caption files of the same stem (1.jpg <-> 1.txt), as urban1k and `folder:` read them.

Registers nothing.
"""

from __future__ import annotations


def stem_key(stem: str) -> tuple[int, int, str]:
    """Numeric stems in numeric order (1, 2, ..., 10), then any other stems in string order."""
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)
