"""What a task hands to the rest of the pipeline: the dataset contracts.

Tasks build these; the image loader, the evaluators and the result writer read them. They hold file paths (members
of tar archives for WebDataset shards, or, for datasets stored as arrays such as CIFAR, uint8 images), never decoded
pixels, so loading a task is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .data.tar_member import TarMember
from .errors import DataError
from .prompts import Prompts

#: Either a list of image files (or tar members) or a uint8 array [N, H, W, 3] of RGB images.
Images = Sequence[Path | TarMember] | np.ndarray


class Fingerprint:
    """The `fingerprint` field of a dataset: given as a string, or as a function that computes it on first read.

    A fingerprint reads every image's bytes (data/fingerprint.py); computed lazily, it costs nothing where it is not
    used (a task's status, `longbench tasks`) and is read once where it is (a run's output checks, its result).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> str:
        if obj is None:
            raise AttributeError("no default: every dataset has a fingerprint")  # dataclasses: a required field
        value = getattr(obj, self.slot)
        if callable(value):
            value = value()
            setattr(obj, self.slot, value)
        return value

    def __set__(self, obj: Any, value: str | Callable[[], str]) -> None:
        setattr(obj, self.slot, value)


@dataclass
class RetrievalDataset:
    """Images and captions; `text_to_image[t]` is the index of caption t's image (each image has >= 1 caption)."""

    images: Images
    texts: list[str]
    text_to_image: np.ndarray
    image_ids: list[str]
    fingerprint: str = Fingerprint()  # type: ignore[assignment]  # a str, or a function computing it once
    warnings: list[str] = field(default_factory=list)
    #: Named counts worth reporting, e.g. {"empty_captions": 1, "missing_images": 0}.
    counts: dict[str, int] = field(default_factory=dict)
    #: Images dropped by the task itself (e.g. missing files with skip_bad_images).
    skipped: list[str] = field(default_factory=list)
    #: The task that built it (labels progress bars and messages).
    task: str = ""

    def __post_init__(self) -> None:
        self.text_to_image = np.asarray(self.text_to_image, dtype=np.int64)
        if len(self.text_to_image) != len(self.texts):
            raise ValueError("text_to_image must have one entry per text")


@dataclass
class ClassificationDataset:
    """Images with integer labels into `classnames` (class order is the task's canonical order)."""

    images: Images
    labels: np.ndarray
    classnames: list[str]
    image_ids: list[str]
    fingerprint: str = Fingerprint()  # type: ignore[assignment]  # a str, or a function computing it once
    #: Stable identifiers of the classes (wnids, folder names); `classnames` are what prompts are built from.
    class_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: The prompt-set name whose class names/templates match this dataset's protocol by default.
    default_prompts: str = "imagenet80"
    #: Prompts the data ships with (WebDataset shards): used instead of `default_prompts` unless --templates is given.
    prompts: Prompts | None = None
    #: The task that built it: selects task-specific prompt sets (the CLIP paper's `clip` templates).
    task: str = ""
    #: Pixels the image loader removes from every side before preprocessing (ObjectNet's 1-px red frame).
    crop_border: int = 0

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if len(self.labels) != len(self.images):
            raise ValueError("labels must have one entry per image")


Dataset = RetrievalDataset | ClassificationDataset


@dataclass(frozen=True)
class LoadOptions:
    """How a task should read its files.

    limit: keep only the first N images (retrieval) or a deterministic class-stratified sample of N (classification).
    skip_bad_images: drop images that are missing or undecodable instead of failing (recorded in the result).
    """

    limit: int | None = None
    skip_bad_images: bool = False

    def __post_init__(self) -> None:
        # Checked here, once, so that no task (retrieval or classification) can be asked for an empty subset.
        if self.limit is not None and self.limit < 1:
            raise DataError(f"--limit must be at least 1 (a number of images), got {self.limit}")
