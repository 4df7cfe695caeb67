"""The Karpathy split files (dataset_coco.json, dataset_flickr30k.json): the test split's images and sentences, a
sample writer, and the task shape coco-karpathy and flickr30k share. Registers nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.errors import DataError

from .base import Task
from .caption_text import one_line
from .first_captions import FirstCaptionsTask
from .json_files import read_json
from .retrieval_dataset import Item, Notes
from .sample_captions import sample_rng, short_caption


class KarpathyTask(FirstCaptionsTask):
    """The first `captions_per_image` sentences of each test image of a Karpathy file, in file order."""

    #: The folder under the root that holds the images, or None where each entry's `filepath` names it (COCO).
    image_folder: ClassVar[str | None]
    #: The file's `dataset` field ("coco" or "flickr30k"), which decides the sample's entry shape.
    dataset: ClassVar[str]
    #: Where the sample writer puts the test images.
    sample_folder: ClassVar[str]

    def items(self, root: Path, path: Path, notes: Notes) -> list[Item]:
        return karpathy_items(self, root, path, self.image_folder)

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """The Karpathy file with n test images (the first has 6 sentences) and 2 non-test entries."""
        write_karpathy(root / self.annotations, n, seed, self.dataset, self.sample_folder)


def karpathy_items(task: Task, root: Path, annotations: Path, image_folder: str | None,
                   split: str = "test") -> list[Item]:
    """Images of one split of a Karpathy-format file, in file order, with all their raw sentences.

    Images live at `root/<image_folder>/<filename>`, or at `root/<filepath>/<filename>` when `image_folder` is
    None (dataset_coco.json names val2014/train2014 per image).
    """
    source = f"{task.meta.name}: {annotations}"
    data = read_json(annotations, task.meta.name, root)
    entries = data.get("images") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise DataError(f"{source}: expected a JSON object with an 'images' list (Karpathy format)")
    items = []
    seen: dict[Path, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("split"), str):
            raise DataError(f"{source}: images[{index}]: expected an object with a 'split' string")
        if entry["split"] != split:
            continue
        folder = image_folder if image_folder is not None else entry.get("filepath")
        filename, sentences = entry.get("filename"), entry.get("sentences")
        if not isinstance(folder, str) or not isinstance(filename, str):
            raise DataError(f"{source}: images[{index}]: expected string 'filename'"
                            + (" and 'filepath'" if image_folder is None else ""))
        if not isinstance(sentences, list) or not all(
                isinstance(s, dict) and isinstance(s.get("raw"), str) for s in sentences):
            raise DataError(f"{source}: images[{index}]: expected 'sentences' to be a list of {{'raw': str}}")
        path = safe_join(root, f"{folder}/{filename}", f"{source}: images[{index}]")
        if path in seen:  # two gallery entries of one image: each would count as wrong for the other's captions
            raise DataError(f"{source}: images[{index}] and images[{seen[path]}] are both {folder}/{filename}; "
                            "each image must appear once in the split")
        seen[path] = index
        items.append(Item(Path(filename).stem, path, [one_line(s["raw"]) for s in sentences]))
    return items


def write_karpathy(path: Path, n: int, seed: int, dataset: str, image_folder: str) -> None:
    """A Karpathy-format file with n test images (files written under `image_folder`) and 2 non-test entries.

    The non-test entries (whose images are not written) come first, so a loader that ignores `split` fails. The
    first test image has 6 sentences, as some real ones do. COCO entries carry `filepath`/`cocoid`, Flickr's not.
    """
    rng = sample_rng(seed, f"karpathy-{dataset}")
    entries = []
    for i, split in enumerate(["train", "restval" if dataset == "coco" else "val"] + ["test"] * n):
        coco = dataset == "coco"
        filename = f"COCO_{image_folder}_{391895 + 11 * i:012d}.jpg" if coco else f"{1000092795 + 17 * i}.jpg"
        sentences = []
        for _ in range(6 if i == 2 else 5):
            raw = short_caption(rng)
            sentences.append({"tokens": raw.lower().rstrip(".").split(), "raw": raw, "imgid": i,
                              "sentid": 6 * i + len(sentences)})
        entry = {"filename": filename, "imgid": i, "sentences": sentences, "split": split,
                 "sentids": [s["sentid"] for s in sentences]}
        entries.append({"filepath": image_folder, "cocoid": 391895 + 11 * i, **entry} if coco else entry)
        if split == "test":
            write_image(path.parent / image_folder / filename, i, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"images": entries, "dataset": dataset}), encoding="utf-8")
