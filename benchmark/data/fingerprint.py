"""A fingerprint of the data a task read: changes when any file name, size or caption/label changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def fingerprint(images: Iterable[Path] | np.ndarray, texts: Iterable[str] = (), labels: Iterable[int] = (),
                root: Path | None = None) -> str:
    """sha256 over image names and sizes (or array bytes), texts and labels; 'sha256:' + 16 hex digits.

    Image contents are not read (that would cost a full pass over the data); names relative to `root` keep the
    fingerprint stable when a dataset is moved.
    """
    h = hashlib.sha256()
    if isinstance(images, np.ndarray):
        h.update(np.ascontiguousarray(images).tobytes())
    else:
        for path in images:
            name = Path(path).relative_to(root).as_posix() if root else Path(path).name
            size = Path(path).stat().st_size if Path(path).exists() else -1
            h.update(f"{name}\0{size}\n".encode())
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    for label in labels:
        h.update(f"{int(label)},".encode())
    return "sha256:" + h.hexdigest()[:16]
