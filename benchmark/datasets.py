"""What a task hands to the rest of the pipeline: the dataset contracts.

Tasks build these; the image loader, the evaluators and the result writer read them. They hold file paths (members
of tar archives for WebDataset shards, or, for datasets stored as arrays such as CIFAR, uint8 images), never decoded
pixels, so loading a task is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .data.image_ref import ImageRef
from .data.tar_member import TarMember
from .errors import DataError
from .prompts import Prompts

#: Either a list of image files (or tar members: data/tar_member.py; zip members and crops: data/image_ref.py) or a
#: uint8 array [N, H, W, 3] of RGB images.
Images = Sequence[Path | TarMember | ImageRef] | np.ndarray


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


@dataclass(frozen=True)
class Macro:
    """A macro average: the mean over the groups of `label` of each group's `metric`, leaving out the groups named
    in `exclude` and those with fewer than `min_items` items (ARO's VG-Relation and VG-Attribution averages)."""

    label: str
    metric: str
    exclude: frozenset[str] = frozenset()
    min_items: int = 1


@dataclass
class SelectionDataset:
    """Items of image-caption selection: each item names some of the images and captions, and the task's rule
    (metrics/selection.py) knows which assignment of them is correct.

    `images` and `texts` hold each distinct image and caption once, so each is encoded once and an exact tie between
    two equal captions is a tie, never float noise between batches.
    """

    images: Images
    texts: list[str]
    #: [N, k] index into `images` of each item's images (k is the task's: 1, or 2 for Winoground).
    item_images: np.ndarray
    #: [N, m] index into `texts` of each item's captions, in the order its rule reads them; -1 pads an item with
    #: fewer captions (`pairs:` files, whose items have any number of negatives).
    item_texts: np.ndarray
    #: The scoring rule's name (metrics/selection.py).
    rule: str
    item_ids: list[str]
    image_ids: list[str]
    fingerprint: str = Fingerprint()  # type: ignore[assignment]  # a str, or a function computing it once
    #: Per-item labels the result breaks the metrics down by, e.g. {"collapsed_tag": [...]} (one entry per item).
    labels: dict[str, list[str]] = field(default_factory=dict)
    #: Macro averages the task reports, by metric name.
    macros: dict[str, Macro] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    task: str = ""

    def __post_init__(self) -> None:
        self.item_images = np.asarray(self.item_images, dtype=np.int64).reshape(len(self.item_ids), -1)
        self.item_texts = np.asarray(self.item_texts, dtype=np.int64).reshape(len(self.item_ids), -1)
        if any(len(values) != len(self.item_ids) for values in self.labels.values()):
            raise ValueError("labels must have one entry per item")


Dataset = RetrievalDataset | ClassificationDataset | SelectionDataset


@dataclass(frozen=True)
class LoadOptions:
    """How a task should read its files.

    limit: keep only the first N images (retrieval), a deterministic class-stratified sample of N (classification)
      or the first N items (selection).
    skip_bad_images: drop images that are missing or undecodable instead of failing (recorded in the result).
    roots: the folders of the other tasks whose files this task reads (`TaskMeta.reads`: SugarCrepe reads COCO's
      images), resolved like `--root`; a task falls back to each one's folder beside its own under the data root.
    """

    limit: int | None = None
    skip_bad_images: bool = False
    roots: Mapping[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Checked here, once, so that no task (retrieval or classification) can be asked for an empty subset.
        if self.limit is not None and self.limit < 1:
            raise DataError(f"--limit must be at least 1 (a number of images), got {self.limit}")
