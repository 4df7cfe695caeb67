"""A fingerprint of the data a task read: changes when an image's name or content, a caption or a label changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .digest import image_digests
from .image_ref import ImageRef
from .tar_member import TarMember


def fingerprint(images: Sequence[Path | TarMember | ImageRef] | np.ndarray, texts: Iterable[str] = (),
                labels: Iterable[int] = (), root: Path | None = None) -> str:
    """sha256 over image names and contents (or array bytes), texts and labels; 'sha256:' + 16 hex digits.

    Image contents are read (digest.py: a file replaced by another of the same size and modification time is other
    data); names relative to `root` keep the fingerprint stable when a dataset is moved. An image in a tar archive
    is named `archive!member`. Datasets compute it on
    first use (datasets.py), so listing a task's status reads no image.
    """
    h = hashlib.sha256()
    if isinstance(images, np.ndarray):
        h.update(np.ascontiguousarray(images).tobytes())
    else:
        for path, digest in zip(images, image_digests(images), strict=True):
            name = _name(path, root)
            h.update(f"{name}\0".encode() + digest.hex().encode() + b"\n")
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    for label in labels:
        h.update(f"{int(label)},".encode())
    return "sha256:" + h.hexdigest()[:16]


def _name(image: Path | TarMember | ImageRef, root: Path | None) -> str:
    """The image's name in the fingerprint: relative to `root`, with a tar or zip member and a crop box named."""
    if isinstance(image, TarMember):
        return image.name(root) if root else f"{Path(image.archive).name}!{image.member}"
    if isinstance(image, ImageRef):
        return image.name(root)
    return Path(image).relative_to(root).as_posix() if root else Path(image).name
