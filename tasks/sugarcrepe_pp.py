"""SugarCrepe++ (Dumpala et al., NeurIPS 2024 Datasets and Benchmarks; Sri-Harsha/scpp): SugarCrepe's replace and
swap subsets with a second positive caption, scored as the authors' `VLMs/test_Variants_CLIP.py` scores them.

Layout: the repository's `data/` folder as it is (`VLMs/data/`, which the authors' evaluation reads, holds the same
bytes): `data/<subset>.json`, a JSON list of `{"id", "filename", "caption", "caption2", "negative_caption"}`.
Images are COCO val2017, read from the coco task's folder.

Both tasks per subset, as the paper reports them (strict `>`, as the authors' code):
- ITT (image-to-text): right when cos(image, caption) > cos(image, negative) and cos(image, caption2) > cos(image,
  negative);
- TOT (text-only): right when cos(caption, caption2) > cos(caption, negative) and cos(caption, caption2) >
  cos(caption2, negative).
"""

from __future__ import annotations

from pathlib import Path

from longbench.data.paths import safe_join
from longbench.datasets import LoadOptions, SelectionDataset
from longbench.errors import DataError
from longbench.kinds import SELECTION

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .json_files import read_json, string_field
from .selection_items import SelectionItem, anything_at, build_selection, other_root, selection_status
from .sugarcrepe import COCO, write_sugarcrepe

SUBDIR = "sugarcrepe-pp"
#: subset -> (items, distinct images) in data/<subset>.json at Sri-Harsha/scpp@cfdcd82 (the data's last change).
SUBSETS = {"replace_att": (788, 524), "replace_obj": (1652, 823), "replace_rel": (1406, 777),
           "swap_att": (666, 593), "swap_obj": (245, 224)}
#: In the order the rule reads the captions: positive 1, positive 2, negative.
FIELDS = ("filename", "caption", "caption2", "negative_caption")


class SugarCrepePlusTask(Task):
    subset: str

    def annotations(self, root: Path) -> Path:
        return root / "data" / f"{self.subset}.json"

    def load(self, root: Path, options: LoadOptions) -> SelectionDataset:
        images = other_root(COCO, root, options) / "val2017"
        return build_selection(self, images, self._items(root, images), options, rule="sugarcrepe_pp")

    def _items(self, root: Path, images: Path) -> list[SelectionItem]:
        path = self.annotations(root)
        if not anything_at(path):
            raise self.missing(root, f"data/{self.subset}.json")
        data = read_json(path, self.meta.name, root)
        if not isinstance(data, list):
            raise DataError(f"{self.meta.name}: {path}: expected a JSON list of {{id, {', '.join(FIELDS)}}} "
                            f"(Sri-Harsha/scpp's data/ layout), found a {type(data).__name__}")
        items = []
        for index, entry in enumerate(data):
            where = f"{self.meta.name}: {path}: item {index}"
            if not isinstance(entry, dict):
                raise DataError(f"{where}: expected an object with id, {', '.join(FIELDS)}")
            filename, *captions = (string_field(entry, field, where) for field in FIELDS)
            items.append(SelectionItem(str(entry.get("id", index)), [safe_join(images, filename, where)], captions))
        return items

    def status(self, root: Path) -> TaskStatus:
        return selection_status(self, root, [self.annotations(root)])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        write_sugarcrepe(self, root, n, seed, fields=FIELDS, as_list=True)


def _make(subset: str, counts: tuple[int, int]) -> type[SugarCrepePlusTask]:
    items, images = counts
    meta = TaskMeta(
        name=f"sugarcrepe-pp-{subset}", kind=SELECTION, family="sugarcrepe-pp",
        description=f"SugarCrepe++ {subset}: {items:,} COCO val2017 images with two positive captions and a negative",
        protocol="ITT: both positives score above the negative for the image; TOT: the positives are closer to each "
                 "other than either is to the negative; strict (Sri-Harsha/scpp VLMs/test_Variants_CLIP.py)",
        subdir=SUBDIR,
        layout=f"data/{subset}.json (Sri-Harsha/scpp's data/ as it is: a list of {{id, filename, caption, caption2, "
               f"negative_caption}}); images in the coco task's val2017/<filename>",
        source="https://github.com/Sri-Harsha/scpp (data/; also the Hub dataset Aman-J/SugarCrepe_pp); images: COCO "
               "val2017 (`longbench data fetch coco`)",
        licence="annotations: the repository's LICENSE is MIT, its README licenses the dataset CC-BY-4.0; images "
                "under their Flickr licences (COCO terms of use)",
        split=f"every entry of data/{subset}.json, in file order", expected={"items": items, "images": images},
        pitfalls=("The paper's TOT compares text embeddings only: a text encoder that ignores word order can score "
                  "well on ITT's image side and still fail TOT.",
                  "The Hub copy (Aman-J/SugarCrepe_pp) is another layout; the repository's data/ files are read."),
        groups=("sugarcrepe_pp", "compositional"), reads=(COCO,))
    return type(f"SugarCrepePlus_{subset}", (SugarCrepePlusTask,), {"subset": subset, "meta": meta,
                                                                     "__module__": __name__})


for _subset, _counts in SUBSETS.items():
    register_task(_make(_subset, _counts))
