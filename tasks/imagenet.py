"""ImageNet-1k validation (50,000 images) as an ImageFolder of wnid folders, zero-shot over all 1,000 classes."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from longbench.data.fingerprint import fingerprint
from longbench.data.paths import is_data_file
from longbench.data.synthetic import write_image
from longbench.datasets import ClassificationDataset, LoadOptions
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .stratified_limit import apply_limit

#: torchvision's ImageFolder extensions (compared case-insensitively; ImageNet's files end in .JPEG).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


@cache
def imagenet_wnids() -> tuple[str, ...]:
    """The 1,000 ILSVRC-2012 wnids in sorted order (class i of every ImageNet classifier)."""
    text = resources.files("longbench.tasks").joinpath("resources/imagenet_wnids.json").read_text("utf-8")
    return tuple(json.loads(text))


def imagenet_classnames() -> list[str]:
    """open_clip's (OpenAI's) cleaned class names, in wnid order."""
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES  # heavy import, only when loading

    return list(IMAGENET_CLASSNAMES)


def image_files(folder: Path, root: Path) -> list[Path]:
    """Image files directly in `folder`, sorted by name (hidden files and other suffixes ignored).

    An entry with an image suffix that is not a regular file inside `root` (a FIFO, a symlink leading out) is an
    error naming it, not silently left out.
    """
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES and is_data_file(p, root))


def _class_folders(val: Path) -> list[Path]:
    return sorted(p for p in val.iterdir() if p.is_dir() and not p.name.startswith("."))


@register_task
class ImageNet(Task):
    meta = TaskMeta(
        name="imagenet",
        kind="classification",
        family="imagenet",
        description="ImageNet-1k validation set, zero-shot top-1/top-5 over the 1,000 classes",
        protocol="50,000 val images, 1,000 classes in sorted-wnid order, open_clip class names, "
                 "80 OpenAI templates; logits 100 * img @ W",
        subdir="imagenet",
        layout="val/<wnid>/*.JPEG (one folder per class, named by its wnid, e.g. val/n01440764/)",
        source="https://image-net.org/download (ILSVRC2012_img_val.tar, sorted into wnid folders, "
               "e.g. with the valprep.sh script)",
        licence="ImageNet terms of access (non-commercial research)",
        split="ILSVRC-2012 validation",
        expected={"images": 50000, "classes": 1000},
        pitfalls=(
            "The val tar unpacks flat (50,000 JPEGs in one folder): sort the images into wnid folders first.",
            "One val file is a CMYK JPEG and some are greyscale; the loader converts every image to RGB.",
        ),
        groups=("zeroshot",),
    )

    def load(self, root: Path, options: LoadOptions) -> ClassificationDataset:
        val = self._val(root)
        index = {wnid: i for i, wnid in enumerate(imagenet_wnids())}
        paths: list[Path] = []
        labels: list[int] = []
        for folder in _class_folders(val):
            if folder.name not in index:
                raise DataError(f"{self.meta.name}: folder {folder} is not one of the 1,000 ImageNet-1k wnids "
                                f"(expected layout: {self.meta.layout})")
            files = image_files(folder, val)
            paths.extend(files)
            labels.extend([index[folder.name]] * len(files))
        if not paths:
            raise self._no_images(val)
        image_ids = [p.relative_to(val).as_posix() for p in paths]
        images, label_array, image_ids = apply_limit(paths, np.asarray(labels), image_ids, options.limit)
        return ClassificationDataset(
            images=images,
            labels=label_array,
            classnames=imagenet_classnames(),
            class_ids=list(imagenet_wnids()),
            image_ids=image_ids,
            fingerprint=lambda: fingerprint(images, labels=label_array, root=val),
            counts={"classes_present": int(len(np.unique(label_array)))},
            task=self.meta.name,
        )

    def status(self, root: Path) -> TaskStatus:
        val = Path(root) / "val"
        if not val.is_dir():
            return TaskStatus("missing", Path(root), expected=self.meta.expected, detail=f"{val} not found")
        known = set(imagenet_wnids())
        folders = [f for f in _class_folders(val) if f.name in known]
        found = {"images": sum(len(image_files(f, val)) for f in folders), "classes": len(folders)}
        state = "found" if found == self.meta.expected else "incomplete"
        return TaskStatus(state, Path(root), found=found, expected=self.meta.expected)

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """`n` images over a few wnid folders, cycling through RGB, greyscale, CMYK and PNG-as-.JPEG files."""
        wnids = imagenet_wnids()
        n_classes = max(1, min(5, n))
        chosen = [wnids[(i * 211 + seed) % len(wnids)] for i in range(n_classes)]
        for i in range(n):
            wnid = chosen[i % n_classes]
            write_image(Path(root) / "val" / wnid / f"ILSVRC2012_val_{i + 1:08d}.JPEG", i, seed=seed)

    def _val(self, root: Path) -> Path:
        val = Path(root) / "val"
        if not val.is_dir():
            raise self.missing(root, "folder val/")
        return val

    def _no_images(self, val: Path) -> DataError:
        flat = image_files(val, val)
        if flat:
            return DataError(f"{self.meta.name}: {val} holds {len(flat)} images directly but no wnid folders; "
                             f"sort them into val/<wnid>/ folders (e.g. with valprep.sh)")
        return DataError(f"{self.meta.name}: no images under {val} (expected layout: {self.meta.layout})")
