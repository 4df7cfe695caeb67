"""A selection task's items made into its SelectionDataset (limit, missing images, each distinct image and caption
once, fingerprint), its status read by loading it, and the folder of a task it reads files from.

Registers nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from longbench.data.fingerprint import fingerprint
from longbench.data.image_ref import ImageRef, file_of
from longbench.data.paths import is_data_file
from longbench.datasets import LoadOptions, Macro, SelectionDataset
from longbench.errors import DataError

from . import TASKS
from .base import Task, TaskStatus
from .retrieval_dataset import Notes

Image = Path | ImageRef


@dataclass
class SelectionItem:
    """One item before limit/skip handling: its images and captions in the order its rule reads them."""

    item_id: str
    images: list[Image]
    captions: list[str]
    #: Its label per breakdown key, e.g. {"collapsed_tag": "Object"}.
    labels: dict[str, str] = field(default_factory=dict)


def other_root(name: str, root: Path, options: LoadOptions) -> Path:
    """The folder of task `name` that a task at `root` reads files from: the run's (`--root name=` or the data
    root's), else the one beside `root` under the same data root (`data status` and `data verify` look there)."""
    return Path(options.roots[name]) if name in options.roots else root.parent / TASKS.get(name).meta.subdir


def build_selection(task: Task, image_root: Path, items: Sequence[SelectionItem], options: LoadOptions, *,
                    rule: str, macros: Mapping[str, Macro] | None = None,
                    notes: Notes | None = None) -> SelectionDataset:
    """The first `limit` items (in the file's order) whose images are present (all, unless skip_bad_images drops
    the items of a missing one), each distinct image and caption once.

    `image_root` is the folder the images must stay inside (symlinks leading out are refused) and the fingerprint
    names them relative to.
    """
    notes = notes or Notes()
    name = task.meta.name
    expected = task.meta.expected.get("items")
    if options.limit is None and expected is not None and len(items) != expected:
        notes.warnings.append(f"{name}: {len(items)} items found, the published protocol has {expected}; numbers "
                              "are not comparable to published ones")
    chosen = list(items[: options.limit] if options.limit is not None else items)
    present: dict[Path, bool] = {}
    kept, skipped = [], []
    for item in chosen:
        missing = [image for image in item.images if not _present(file_of(image), image_root, present)]
        if not missing:
            kept.append(item)
        elif options.skip_bad_images:
            skipped.append(f"{item.item_id}: {file_of(missing[0])} not found")
        else:
            raise DataError(f"{name}: item {item.item_id}: image {file_of(missing[0])} not found "
                            f"(expected layout: {task.meta.layout}; use --skip-bad-images to drop the item)")
    # Added to what the loader counted itself (Winoground's members missing from images.zip).
    notes.counts["items_of_missing_images"] = notes.counts.get("items_of_missing_images", 0) + len(skipped)
    if skipped:
        notes.warnings.append(f"{name}: {len(skipped)} item(s) dropped: an image is missing (first: {skipped[0]})")
    if not kept:
        raise DataError(f"{name}: no item left to evaluate under {image_root}")
    images = list(dict.fromkeys(image for item in kept for image in item.images))
    texts = list(dict.fromkeys(caption for item in kept for caption in item.captions))
    image_row, text_row = {image: i for i, image in enumerate(images)}, {text: i for i, text in enumerate(texts)}
    width = max(len(item.captions) for item in kept)
    item_texts = [[text_row[c] for c in item.captions] + [-1] * (width - len(item.captions)) for item in kept]
    item_images = [[image_row[image] for image in item.images] for item in kept]
    # Which caption is whose is part of the data: swapping a caption with its negative changes the fingerprint.
    structure = [f"{item.item_id}:{rows_i}:{rows_t}" for item, rows_i, rows_t in zip(kept, item_images, item_texts,
                                                                                      strict=True)]
    return SelectionDataset(
        images=images, texts=texts, item_images=item_images, item_texts=item_texts, rule=rule,
        item_ids=[item.item_id for item in kept], image_ids=[_image_id(image, image_root) for image in images],
        fingerprint=lambda: fingerprint(images, [*texts, *structure], root=image_root),
        labels={key: [item.labels[key] for item in kept] for key in (kept[0].labels if kept else {})},
        macros=dict(macros or {}), warnings=notes.warnings, counts=notes.counts, skipped=skipped, task=name)


def anything_at(path: Path) -> bool:
    """Whether anything is at `path`, a link included: an annotation file that is not there is missing (the task's
    layout message), while a link leading out, a FIFO or a folder in its place is refused by name when read
    (data/paths.py)."""
    return path.exists() or path.is_symlink()


def _present(path: Path, root: Path, seen: dict[Path, bool]) -> bool:
    """Whether `path` is a regular file inside `root`, each file checked once (a zip holds all of Winoground)."""
    if path not in seen:
        seen[path] = is_data_file(path, root)
    return seen[path]


def _image_id(image: Image, root: Path) -> str:
    if isinstance(image, ImageRef):
        return image.name(root)
    return image.relative_to(root).as_posix() if image.is_relative_to(root) else str(image)


def selection_status(task: Task, root: Path, required: Sequence[Path]) -> TaskStatus:
    """Status from the loader itself: missing files, else items, images and captions found vs expected."""
    expected = dict(task.meta.expected)
    absent = [str(path) for path in required if not path.exists()]
    if absent:
        return TaskStatus("missing", root, {}, expected,
                          f"missing {', '.join(absent)} (expected layout: {task.meta.layout})")
    try:
        data = task.load(root, LoadOptions(skip_bad_images=True))
    except DataError as err:
        return TaskStatus("incomplete", root, {}, expected, str(err))
    found = {"items": len(data.item_ids), "images": len(data.images), "texts": len(data.texts)}
    state = "found" if all(found.get(key) == value for key, value in expected.items()) else "incomplete"
    detail = "" if state == "found" else f"found {found}, expected {expected}"
    return TaskStatus(state, root, found, expected, detail)
