"""SugarCrepe (Hsieh et al., NeurIPS 2023; RAIVNLab/sugar-crepe): seven image-to-text hard-negative subsets on COCO
val2017, each scored as the authors' `main_eval.py` scores it.

The annotation files are the repository's `data/` folder as it is: `data/<subset>.json`, a JSON object keyed by
string ids (not necessarily contiguous: swap_obj skips one since the authors removed an item), each entry
`{"filename", "caption", "negative_caption"}`. The repository renamed `*_ent.json` to `*_obj.json` (and refiltered
every file) on 2023-06-23; the authors' evaluation reads the `*_obj`/`*_att`/`replace_rel` names, which are the only
ones read here. Images are COCO val2017, read from the coco task's folder (`--root coco=PATH` moves both).

Captions are given to the tokenizer as the file holds them (`main_eval.py` does no cleaning). An item is right when
cos(image, caption) > cos(image, negative_caption): a tie counts as wrong, as in `main_eval.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, SelectionDataset
from longbench.errors import DataError
from longbench.kinds import SELECTION

from . import TASKS, register_task
from .base import Task, TaskMeta, TaskStatus
from .json_files import read_json, string_field
from .sample_captions import sample_rng, short_caption
from .selection_items import SelectionItem, anything_at, build_selection, other_root, selection_status

SUBDIR = "sugar-crepe"
COCO = "coco"
#: subset -> (items, distinct images) in data/<subset>.json at RAIVNLab/sugar-crepe@546eb51 (the data's last change).
SUBSETS = {
    "add_att": (692, 497), "add_obj": (2062, 908), "replace_att": (788, 524), "replace_obj": (1652, 823),
    "replace_rel": (1406, 777), "swap_att": (666, 593), "swap_obj": (245, 224),
}
#: The paper's three categories, each the mean of its subsets (the leaderboard's Replace, Swap and Add columns).
CATEGORIES = {"Replace": ("replace_obj", "replace_att", "replace_rel"), "Swap": ("swap_obj", "swap_att"),
              "Add": ("add_obj", "add_att")}
#: The names the repository used before it renamed them (2023-06-23): refused, naming the current layout.
OLD_NAMES = {"add_ent": "add_obj", "replace_ent": "replace_obj", "swap_ent": "swap_obj"}
FIELDS = ("filename", "caption", "negative_caption")
SOURCE = "https://github.com/RAIVNLab/sugar-crepe (data/); images: COCO val2017 (`longbench data fetch coco`)"
LICENCE = "annotations MIT (RAIVNLab/sugar-crepe); images under their Flickr licences (COCO terms of use)"


def task_name(subset: str) -> str:
    return f"sugarcrepe-{subset}"


class SugarCrepeTask(Task):
    subset: str

    def annotations(self, root: Path) -> Path:
        return root / "data" / f"{self.subset}.json"

    def load(self, root: Path, options: LoadOptions) -> SelectionDataset:
        images = other_root(COCO, root, options) / "val2017"
        items = read_items(self, self.annotations(root), images)
        return build_selection(self, images, items, options, rule="first_strict")

    def status(self, root: Path) -> TaskStatus:
        return selection_status(self, root, [self.annotations(root)])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        write_sugarcrepe(self, root, n, seed, fields=FIELDS)


def read_items(task: Task, path: Path, images: Path) -> list[SelectionItem]:
    """The items of a SugarCrepe file in file order: a JSON object of `{"filename", "caption", "negative_caption"}`."""
    subset = path.stem
    if not anything_at(path):
        old = [name for name, new in OLD_NAMES.items() if new == subset and (path.parent / f"{name}.json").exists()]
        renamed = f" ({path.parent / old[0]}.json is the repository's name before 2023-06-23: fetch the current " \
                  f"data/ folder)" if old else ""
        raise task.missing(path.parent.parent, f"data/{subset}.json" + renamed)
    data = read_json(path, task.meta.name, path.parent.parent)
    if not isinstance(data, dict):
        raise DataError(f"{task.meta.name}: {path}: expected a JSON object keyed by item id (RAIVNLab/sugar-crepe's "
                        f"data/ layout), found a {type(data).__name__}")
    items = []
    for key, entry in data.items():
        where = f"{task.meta.name}: {path}: item {key!r}"
        if not isinstance(entry, dict):
            raise DataError(f"{where}: expected an object with {', '.join(FIELDS)}")
        filename, caption, negative = (string_field(entry, field, where) for field in FIELDS)
        items.append(SelectionItem(key, [safe_join(images, filename, where)], [caption, negative]))
    return items


def write_sugarcrepe(task: Task, root: Path, n: int, seed: int, fields: tuple[str, ...],
                     as_list: bool = False) -> None:
    """data/<subset>.json with n items on about n/2 COCO images (written into coco's val2017/), ids with a gap as in
    swap_obj; the negative swaps two words of the caption, and one item's negative equals its caption (an exact
    tie, which the rule counts as wrong)."""
    rng = sample_rng(seed, task.meta.name)
    images = root.parent / TASKS.get(COCO).meta.subdir / "val2017"
    entries = []
    for i in range(n):
        filename = f"{222235 + 1013 * (i // 2):012d}.jpg"
        write_image(images / filename, i // 2, seed=seed)
        caption = short_caption(rng)
        words = caption.split()
        a, b = 0, 0
        while words[a] == words[b]:  # two different words, so that the negative differs from the caption
            a, b = rng.choice(len(words) - 1, size=2, replace=False)
        words[a], words[b] = words[b], words[a]
        texts = {"caption": caption, "negative_caption": caption if i == 1 else " ".join(words)}
        if "caption2" in fields:
            texts["caption2"] = short_caption(rng)
        entries.append((str(i if i < 3 else i + 1), {"filename": filename, **{f: texts[f] for f in fields[1:]}}))
    path = task.annotations(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = [{"id": int(key), **entry} for key, entry in entries] if as_list else dict(entries)
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def _make(subset: str, counts: tuple[int, int]) -> type[SugarCrepeTask]:
    items, images = counts
    meta = TaskMeta(
        name=task_name(subset), kind=SELECTION, family="sugarcrepe",
        description=f"SugarCrepe {subset}: {items:,} COCO val2017 images with a caption and a hard negative",
        protocol="image-to-text: right when cos(image, caption) > cos(image, negative_caption), a tie wrong "
                 "(RAIVNLab/sugar-crepe main_eval.py)",
        subdir=SUBDIR,
        layout=f"data/{subset}.json (RAIVNLab/sugar-crepe's data/ as it is: an object of {{filename, caption, "
               f"negative_caption}} by string id); images in the coco task's val2017/<filename>",
        source=SOURCE, licence=LICENCE, split=f"every entry of data/{subset}.json, in file order",
        expected={"items": items, "images": images},
        pitfalls=("CLIP_benchmark's sugar_crepe/* counts a tie as right (argmax); here, as in main_eval.py, wrong. "
                  "Results record the exact ties met.",),
        groups=("sugarcrepe", "compositional"), reads=(COCO,))
    return type(f"SugarCrepe_{subset}", (SugarCrepeTask,), {"subset": subset, "meta": meta, "__module__": __name__})


for _subset, _counts in SUBSETS.items():
    register_task(_make(_subset, _counts))
