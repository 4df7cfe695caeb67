"""Retrieval tasks read from one annotation file that keep each image's first few captions (COCO, Flickr30k): the
shared load and status; each task says which file, what its status needs and how the file becomes items.

Registers nothing.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

from longbench.datasets import LoadOptions, RetrievalDataset

from .base import Task, TaskStatus
from .retrieval_dataset import Item, Notes, build_dataset, status_by_loading


class FirstCaptionsTask(Task):
    """A retrieval task read from one annotation file, each image with its first `captions_per_image` captions."""

    #: The annotation file, relative to the task root.
    annotations: ClassVar[str]
    #: The files and folders `status` reports missing, in the order it names them.
    required: ClassVar[tuple[str, ...]]
    #: Captions kept per image (COCO's and Flickr30k's protocols: the first 5).
    captions_per_image: ClassVar[int] = 5

    @abstractmethod
    def items(self, root: Path, path: Path, notes: Notes) -> list[Item]:
        """Every image of the annotation file at `path` with all its captions, in the protocol's order."""

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        path = self.data_file(root, self.annotations)
        notes = Notes()
        items = first_captions(self, self.items(root, path, notes), self.captions_per_image, notes)
        return build_dataset(self, root, items, options, notes)

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, self.required)


def first_captions(task: Task, items: list[Item], per_image: int, notes: Notes) -> list[Item]:
    """The first `per_image` captions of each image; shortfalls counted; captionless images dropped."""
    name = task.meta.name
    fewer = sum(1 for item in items if 0 < len(item.captions) < per_image)
    captionless = [item.image_id for item in items if not item.captions]
    notes.counts[f"images_with_fewer_than_{per_image}_captions"] = fewer
    notes.counts["images_without_captions"] = len(captionless)
    if fewer:
        notes.warnings.append(f"{name}: {fewer} images have fewer than {per_image} captions (all kept)")
    if captionless:
        notes.warnings.append(f"{name}: {len(captionless)} images without captions left out: "
                              + ", ".join(captionless[:5]) + (" ..." if len(captionless) > 5 else ""))
    return [Item(item.image_id, item.path, item.captions[:per_image]) for item in items if item.captions]
