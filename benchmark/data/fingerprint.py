"""A fingerprint of the data a task read: changes when any file name, size or caption/label changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .image_ref import ImageRef


def fingerprint(images: Iterable[Path | ImageRef] | np.ndarray, texts: Iterable[str] = (), labels: Iterable[int] = (),
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
            file = path.file if isinstance(path, ImageRef) else Path(path)
            name = path.name(root) if isinstance(path, ImageRef) else (
                file.relative_to(root).as_posix() if root else file.name)
            size = file.stat().st_size if file.exists() else -1
            h.update(f"{name}\0{size}\n".encode())
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    for label in labels:
        h.update(f"{int(label)},".encode())
    return "sha256:" + h.hexdigest()[:16]
