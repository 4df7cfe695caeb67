"""Winoground (Thrush et al., CVPR 2022; the gated Hub dataset facebook/winoground): 400 items of two images and two
captions with the same words in another order, scored with the paper's text, image and group scores.

Layout: the Hub repository's `data/` folder: `data/examples.jsonl` (`id`, `image_0`, `image_1`, `caption_0`,
`caption_1`, `tag`, `secondary_tag`, `num_main_preds`, `collapsed_tag`) and the images, either extracted
(`data/images/<image_k>.png`, what `images.zip` holds under `images/`) or `data/images.zip` as downloaded, read
without extracting it. The extracted folder wins where both are present.

Scores (strict `>`, as the paper defines them; s(c, i) the score of caption c with image i):
text = s(c0, i0) > s(c1, i0) and s(c1, i1) > s(c0, i1); image = s(c0, i0) > s(c0, i1) and s(c1, i1) > s(c1, i0);
group = text and image. The result breaks them down by `collapsed_tag` and by `num_main_preds`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from longbench.data.image_ref import ImageRef
from longbench.data.paths import require_data_file, safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, SelectionDataset
from longbench.errors import DataError
from longbench.kinds import SELECTION

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .json_files import read_jsonl, string_field
from .retrieval_dataset import Notes
from .sample_captions import sample_rng, short_caption
from .selection_items import Image, SelectionItem, anything_at, build_selection, selection_status

EXAMPLES = "data/examples.jsonl"
IMAGES, ZIP = "data/images", "data/images.zip"
#: The breakdowns each result carries, as the paper's analysis reads them.
BREAKDOWNS = ("collapsed_tag", "num_main_preds")
CAPTIONS = ("caption_0", "caption_1")
IMAGE_FIELDS = ("image_0", "image_1")
SUFFIX = ".png"
#: The prefix of each picture inside images.zip.
MEMBER_FOLDER = "images/"


@register_task
class Winoground(Task):
    meta = TaskMeta(
        name="winoground", kind=SELECTION, family="winoground",
        description="Winoground: 400 items of two images and two captions with the same words in a different order",
        protocol="text, image and group scores, strict > (Thrush et al. 2022, section 3); broken down by "
                 "collapsed_tag and num_main_preds",
        subdir="winoground",
        layout=f"{EXAMPLES} and the images as {IMAGES}/<image_k>.png (images.zip extracted) or {ZIP} as downloaded",
        source="https://huggingface.co/datasets/facebook/winoground (gated: log in and accept the licence agreement; "
               "files data/examples.jsonl and data/images.zip)",
        licence="Winoground licence agreement (research use; images from Getty Images under it)",
        split=f"every line of {EXAMPLES}, in file order", expected={"items": 400, "images": 800, "texts": 800},
        pitfalls=("CLIP_benchmark's and mteb's argmax count a tie for image 0's caption 0 (or caption 0's image 0) as "
                  "right; the paper's > counts every tie as wrong.",),
        groups=("compositional",))

    def load(self, root: Path, options: LoadOptions) -> SelectionDataset:
        path = root / EXAMPLES
        if not anything_at(path):
            raise self.missing(root, EXAMPLES)
        notes = Notes()
        locate = _images(self, root)
        rows = read_jsonl(path, self.meta.name, root)
        items = [_item(self, path, number, row, locate) for number, row in enumerate(rows, 1)]
        if isinstance(locate, _Zip):
            items = locate.present(items, options.skip_bad_images, notes)
        return build_selection(self, root, items, options, rule="winoground", notes=notes)

    def status(self, root: Path) -> TaskStatus:
        return selection_status(self, root, [root / EXAMPLES])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """examples.jsonl with n items and their PNGs in data/images.zip (the download as it is); each item's
        captions hold the same words in another order, as Winoground's do."""
        rng = sample_rng(seed, "winoground")
        tags = ("Object", "Relation", "Both")
        rows = []
        (root / "data").mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(root / ZIP, "w") as archive:
            for i in range(n):
                caption = short_caption(rng).rstrip(".").split()
                swapped = [caption[-1], *caption[1:-1], caption[0]]
                row = {"id": i, "image_0": f"ex_{i}_img_0", "image_1": f"ex_{i}_img_1",
                       "caption_0": " ".join(caption), "caption_1": " ".join(swapped), "tag": "Noun, Noun",
                       "secondary_tag": "Symbolic" if i % 4 == 3 else "", "num_main_preds": 1 + i % 2,
                       "collapsed_tag": tags[i % len(tags)]}
                for k in (0, 1):
                    picture = root / "data" / f"{row[f'image_{k}']}{SUFFIX}"
                    write_image(picture, 2 * i + k, seed=seed, mode_format=("RGB", "PNG"))
                    archive.write(picture, MEMBER_FOLDER + picture.name)
                    picture.unlink()
                rows.append(row)
        (root / EXAMPLES).write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


class _Zip:
    """Pictures read from images.zip as it is: each item's member checked against the archive's listing."""

    def __init__(self, task: Task, path: Path):
        self.task, self.path = task, path
        try:
            with zipfile.ZipFile(path) as archive:
                self.members = set(archive.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{task.meta.name}: {path} is not a readable zip archive ({exc})") from None

    def __call__(self, name: str, where: str) -> Image:
        member = safe_join(Path(MEMBER_FOLDER), name + SUFFIX, where)  # a name leaving images/ is refused
        return ImageRef(self.path, member.as_posix())

    def present(self, items: list[SelectionItem], skip: bool, notes: Notes) -> list[SelectionItem]:
        kept, dropped = [], []
        for item in items:
            absent = [ref.member for ref in item.images if isinstance(ref, ImageRef) and ref.member not in self.members]
            if not absent:
                kept.append(item)
            elif skip:
                dropped.append(item.item_id)
            else:
                raise DataError(f"{self.task.meta.name}: item {item.item_id}: {absent[0]} is not in {self.path} "
                                f"(expected layout: {self.task.meta.layout}; use --skip-bad-images to drop the item)")
        notes.counts["items_of_missing_images"] = len(dropped)
        if dropped:
            notes.warnings.append(f"{self.task.meta.name}: {len(dropped)} item(s) dropped: an image is not in "
                                  f"{self.path.name} (first: item {dropped[0]})")
        return kept


def _images(task: Task, root: Path):
    """How an image name becomes a picture: the extracted folder where it exists, else images.zip."""
    if (root / IMAGES).is_dir():
        return lambda name, where: safe_join(root / IMAGES, name + SUFFIX, where)
    if anything_at(root / ZIP):  # a link leading out, a FIFO or a folder is refused by name
        return _Zip(task, require_data_file(root / ZIP, root, task.meta.name))
    raise task.missing(root, f"{IMAGES}/ or {ZIP}")


def _item(task: Task, path: Path, number: int, row: dict, locate) -> SelectionItem:
    where = f"{task.meta.name}: {path} line {number}"
    item_id = row.get("id")
    if isinstance(item_id, bool) or not isinstance(item_id, (int, str)):
        raise DataError(f"{where}: expected an 'id' (a number), found {item_id!r}")
    images = [locate(string_field(row, field, where), where) for field in IMAGE_FIELDS]
    captions = [string_field(row, field, where) for field in CAPTIONS]
    labels = {}
    for key in BREAKDOWNS:
        value = row.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise DataError(f"{where}: expected {key!r} (a string or a number), found {value!r}")
        labels[key] = str(value)
    return SelectionItem(str(item_id), images, captions, labels)
