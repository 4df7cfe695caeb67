"""`data verify`: a task's data against its expected counts, with every image opened and decoded.

States: complete (counts as published, nothing missing or damaged), incomplete (files or images missing, or
counts differ), damaged (an image that does not decode), missing (the task's files are not there at all).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from ..data.image_ref import ImageRef
from ..datasets import ClassificationDataset, Dataset, LoadOptions, SelectionDataset
from ..errors import DataError, UnknownNameError
from ..tasks import Task, resolve_tasks
from .sources import SOURCES

State = Literal["complete", "incomplete", "damaged", "missing"]


@dataclass
class VerifyReport:
    task: str
    root: Path
    state: State
    found: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    #: Images the loader dropped because their file is absent.
    missing: list[str] = field(default_factory=list)
    #: "path: reason" for each image that does not decode.
    damaged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "complete"


def tasks_to_verify(name: str) -> list[Task]:
    """A task, a comma list or group of tasks, or a fetch source name (its tasks)."""
    try:
        return resolve_tasks(name)
    except UnknownNameError:
        if name in SOURCES:
            return resolve_tasks(",".join(SOURCES.get(name).tasks))
        raise


def decode_error(path: Path | ImageRef) -> str | None:
    """Why an image file (or zip member, or crop) does not decode, or None when it decodes fully."""
    try:
        if isinstance(path, ImageRef):
            path.open()
            return None
        with Image.open(path) as image:
            image.load()
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError, DecompressionBombError, ... for bad files
        return f"{path}: {type(exc).__name__}: {exc}"
    return None


def _damaged(images: Sequence[Path] | np.ndarray, on_image: Callable[[], None] | None) -> list[str]:
    if isinstance(images, np.ndarray):
        ok = images.dtype == np.uint8 and images.ndim == 4 and images.shape[-1] == 3
        return [] if ok else [f"image array has dtype {images.dtype} and shape {images.shape}, "
                              f"expected uint8 [N, H, W, 3]"]
    damaged = []
    for path in images:
        error = decode_error(path if isinstance(path, ImageRef) else Path(path))
        if error:
            damaged.append(error)
        if on_image:
            on_image()
    return damaged


def _counts(data: Dataset) -> dict[str, int]:
    if isinstance(data, ClassificationDataset):
        return {"images": len(data.images), "classes": len(np.unique(data.labels))}
    if isinstance(data, SelectionDataset):
        return {"items": len(data.item_ids), "images": len(data.images), "texts": len(data.texts)}
    return {"images": len(data.images), "texts": len(data.texts)}


def verify_task(task: Task, root: Path, decode: bool = True,
                on_image: Callable[[], None] | None = None) -> VerifyReport:
    """Load the task as an evaluation would (missing images skipped and listed), compare counts, decode images."""
    expected = dict(task.meta.expected)
    status = task.checked_status(root)
    if status.state == "missing":
        return VerifyReport(task.meta.name, root, "missing", expected=expected, detail=status.detail)
    try:
        data = task.load(root, LoadOptions(skip_bad_images=True))
    except DataError as err:
        return VerifyReport(task.meta.name, root, "incomplete", expected=expected, detail=str(err))
    counts = _counts(data)
    found = {key: counts.get(key, 0) for key in expected} if expected else counts
    damaged = _damaged(data.images, on_image) if decode else []
    short = bool(expected) and found != expected
    state: State = "damaged" if damaged else "incomplete" if data.skipped or short else "complete"
    detail = f"found {found}, expected {expected}" if short else ""
    return VerifyReport(task.meta.name, root, state, found, expected, list(data.skipped), damaged,
                        list(data.warnings), detail)


def verify(name: str, data_root: Path, decode: bool = True,
           on_image: Callable[[], None] | None = None) -> list[VerifyReport]:
    return [verify_task(task, task.root(data_root), decode, on_image) for task in tasks_to_verify(name)]
