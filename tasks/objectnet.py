"""ObjectNet 1.0, restricted to its 113 classes that map to ImageNet, classified among those 113 ObjectNet names.

This follows CLIP_benchmark (after wise-ft): a class is kept when its ObjectNet label is a key of
`objectnet_to_imagenet_1k.json`; classes are ordered by folder name and named by their lower-cased ObjectNet label.
Every ObjectNet image has a 1-pixel red border, which must be cropped before preprocessing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from longbench.data.fingerprint import fingerprint
from longbench.data.paths import is_data_file, safe_join
from longbench.data.synthetic import synthetic_rgb
from longbench.datasets import ClassificationDataset, LoadOptions
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .imagenet import image_files
from .stratified_limit import apply_limit

#: Width in pixels of the red frame around every ObjectNet image.
BORDER = 1
FOLDER_TO_LABEL = "folder_to_objectnet_label.json"
LABEL_TO_IMAGENET = "objectnet_to_imagenet_1k.json"


@register_task
class ObjectNet(Task):
    meta = TaskMeta(
        name="objectnet",
        kind="classification",
        family="objectnet",
        description="ObjectNet 1.0 test set, the 113 classes that map to ImageNet, zero-shot among those 113",
        protocol="images of the 113 ImageNet-mapped classes, 1-px red border cropped, classified among the 113 "
                 "lower-cased ObjectNet names (CLIP_benchmark); not in the Long-CLIP paper",
        subdir="objectnet",
        layout="objectnet-1.0/images/<folder>/*.png and objectnet-1.0/mappings/{folder_to_objectnet_label.json, "
               "objectnet_to_imagenet_1k.json}",
        source="https://objectnet.dev/download.html (objectnet-1.0.zip, password in the download page)",
        licence="ObjectNet licence: testing only, no training, images must not be redistributed",
        split="all images of the 113 ImageNet-mapped classes",
        expected={"classes": 113},
        pitfalls=(
            "Every image has a 1-pixel red border; it is cropped before preprocessing.",
            "Only 113 of the 313 ObjectNet classes map to ImageNet; the others are not evaluated.",
        ),
        groups=("zeroshot",),
    )

    def load(self, root: Path, options: LoadOptions) -> ClassificationDataset:
        images_dir = self._images_dir(root)
        folders, names = self.classes(root)
        paths: list[Path] = []
        labels: list[int] = []
        missing = []
        for label, folder in enumerate(folders):
            class_dir = self._class_dir(root, images_dir, folder)
            if not class_dir.is_dir():
                missing.append(folder)
                continue
            files = image_files(class_dir, images_dir)
            paths.extend(files)
            labels.extend([label] * len(files))
        if not paths:
            raise DataError(f"{self.meta.name}: no images of the mapped classes under {images_dir} "
                            f"(expected layout: {self.meta.layout})")
        image_ids = [p.relative_to(images_dir).as_posix() for p in paths]
        images, label_array, image_ids = apply_limit(paths, np.asarray(labels), image_ids, options.limit)
        warnings = [f"{len(missing)} mapped class folder(s) missing under {images_dir}: "
                    f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"] if missing else []
        return ClassificationDataset(
            images=images,
            labels=label_array,
            classnames=names,
            class_ids=folders,
            image_ids=image_ids,
            fingerprint=lambda: fingerprint(images, labels=label_array, root=images_dir),
            warnings=warnings,
            counts={"missing_class_folders": len(missing)},
            task=self.meta.name,
            crop_border=BORDER,
        )

    def classes(self, root: Path) -> tuple[list[str], list[str]]:
        """(folders, lower-cased ObjectNet names) of the ImageNet-mapped classes, sorted by folder."""
        mappings = Path(root) / "objectnet-1.0" / "mappings"
        folder_to_label = self._read_mapping(root, mappings / FOLDER_TO_LABEL)
        mapped = self._read_mapping(root, mappings / LABEL_TO_IMAGENET)
        label_to_folder = {label: folder for folder, label in folder_to_label.items()}
        unknown = sorted(set(mapped) - set(label_to_folder))
        if unknown:
            raise DataError(f"{mappings / LABEL_TO_IMAGENET}: label(s) {', '.join(map(repr, unknown[:3]))} "
                            f"have no folder in {FOLDER_TO_LABEL}")
        folders = sorted(label_to_folder[label] for label in mapped)
        return folders, [folder_to_label[f].lower() for f in folders]

    def status(self, root: Path) -> TaskStatus:
        try:
            folders, _ = self.classes(root)
            images_dir = self._images_dir(root)
        except DataError as exc:
            return TaskStatus("missing", Path(root), expected=self.meta.expected, detail=str(exc))
        present = [d for f in folders if (d := self._class_dir(root, images_dir, f)).is_dir()]
        found = {"classes": len(present), "images": sum(len(image_files(d, images_dir)) for d in present)}
        state = "found" if found["classes"] == self.meta.expected["classes"] else "incomplete"
        return TaskStatus(state, Path(root), found=found, expected=self.meta.expected)

    def _class_dir(self, root: Path, images_dir: Path, folder: str) -> Path:
        """A class folder named by the mapping file, which must stay inside the images folder."""
        mapping = Path(root) / "objectnet-1.0" / "mappings" / FOLDER_TO_LABEL
        return safe_join(images_dir, folder, f"{self.meta.name}: {mapping}: folder of a mapped class")

    def _images_dir(self, root: Path) -> Path:
        images_dir = Path(root) / "objectnet-1.0" / "images"
        if not images_dir.is_dir():
            raise self.missing(root, "folder objectnet-1.0/images/")
        return images_dir

    def _read_mapping(self, root: Path, path: Path) -> dict[str, str]:
        if not is_data_file(path, root):
            raise self.missing(root, f"mapping file objectnet-1.0/mappings/{path.name}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise DataError(f"{path}: expected a JSON object of string -> string")
        return data

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """Mapping files for 4 mapped and 1 unmapped class, and `n` bordered PNGs spread over all 5 folders."""
        base = Path(root) / "objectnet-1.0"
        folder_to_label = {"air_freshener": "Air freshener", "alarm_clock": "Alarm clock",
                           "backpack": "Backpack", "banana": "Banana", "band_aid": "Band Aid"}
        mapped = {"Alarm clock": "analog clock; digital clock", "Backpack": "backpack, back pack, knapsack",
                  "Banana": "banana", "Band Aid": "Band Aid"}
        imagenet_names = ["analog clock", "digital clock", "backpack, back pack, knapsack", "banana", "Band Aid"]
        (base / "mappings").mkdir(parents=True, exist_ok=True)
        (base / "mappings" / FOLDER_TO_LABEL).write_text(json.dumps(folder_to_label, indent=1))
        (base / "mappings" / LABEL_TO_IMAGENET).write_text(json.dumps(mapped, indent=1))
        (base / "mappings" / "pytorch_to_imagenet_2012_id.json").write_text(
            json.dumps({str(i): i for i in range(len(imagenet_names))}))
        (base / "mappings" / "imagenet_to_label_2012_v2").write_text("\n".join(imagenet_names) + "\n")
        folders = sorted(folder_to_label)
        for i in range(n):
            folder = folders[i % len(folders)]
            write_bordered_png(base / "images" / folder / f"{i:016x}.png", i, seed)


def write_bordered_png(path: Path, index: int, seed: int = 0, size: tuple[int, int] = (40, 32)) -> Path:
    """A synthetic image framed by a 1-pixel pure-red border, as ObjectNet's images are."""
    img = Image.fromarray(synthetic_rgb(index, size, seed), "RGB")
    ImageDraw.Draw(img).rectangle((0, 0, size[0] - 1, size[1] - 1), outline=(255, 0, 0), width=BORDER)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG")
    return path
