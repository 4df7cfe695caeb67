"""A retrieval task's items made into its RetrievalDataset (limit, missing images, fingerprint), and its status
read by loading it.

Registers nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from longbench.data.fingerprint import fingerprint
from longbench.data.paths import is_data_file
from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.errors import DataError

from .base import Task, TaskStatus


@dataclass
class Item:
    """One image of a retrieval task and its captions, before limit/skip handling."""

    image_id: str
    path: Path
    captions: list[str]
    #: Added to the "image not found" error (e.g. where this particular image comes from).
    missing_hint: str = ""
    #: Where the item comes from (file and line or entry), for errors naming it.
    where: str = ""


@dataclass
class Notes:
    """Warnings and named counts a loader collects while reading, copied into the dataset."""

    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def build_dataset(task: Task, root: Path, items: Sequence[Item], options: LoadOptions,
                  notes: Notes | None = None, repeats_counted: bool = False) -> RetrievalDataset:
    """Apply `limit` (first N items in canonical order), check image files exist, and build the dataset.

    The limit is applied before the existence check so a partial copy can be evaluated on its first N images;
    with skip_bad_images a missing image is dropped (with its captions) rather than replaced by a later one.
    An image listed twice is refused (`refuse_repeats`) unless the task's protocol keeps such entries and counts
    them itself (`repeats_counted`: ShareGPT4V's first N entries).
    """
    notes = notes or Notes()
    name = task.meta.name
    if not repeats_counted:
        refuse_repeats(name, items)
    if options.limit is None and len(items) != task.meta.expected.get("images", len(items)):
        notes.warnings.append(f"{name}: {len(items)} images found, the published protocol has "
                              f"{task.meta.expected['images']}; numbers are not comparable to published ones")
    chosen = list(items[: options.limit] if options.limit is not None else items)
    kept: list[Item] = []
    skipped: list[str] = []
    for item in chosen:
        if is_data_file(item.path, root):
            kept.append(item)
        elif options.skip_bad_images:
            skipped.append(item.image_id)
        else:
            raise DataError(f"{name}: image {item.path} not found{item.missing_hint} "
                            f"(use --skip-bad-images to drop it)")
    notes.counts["missing_images"] = len(skipped)
    if skipped:
        notes.warnings.append(f"{name}: {len(skipped)} missing images skipped with their captions")
    if not kept:
        raise DataError(f"{name}: no images left to evaluate under {root}")
    count_empty_captions(name, kept, notes)
    texts = [caption for item in kept for caption in item.captions]
    text_to_image = np.repeat(np.arange(len(kept)), [len(item.captions) for item in kept])
    paths = [item.path for item in kept]
    return RetrievalDataset(images=paths, texts=texts, text_to_image=text_to_image,
                            image_ids=[item.image_id for item in kept],
                            fingerprint=lambda: fingerprint(paths, texts, root=root),
                            warnings=notes.warnings, counts=notes.counts, skipped=skipped, task=name)


def count_empty_captions(name: str, items: Sequence[Item], notes: Notes) -> None:
    """Empty captions are kept where the protocol reads them (an empty caption file, an empty sentence among an
    image's first five), so the pair count stays comparable; but they are counted (`empty_captions`, added to the
    ones a loader dropped) and warned about, naming where they are: each is a query no model can answer."""
    empty = [item.where or item.image_id for item in items for caption in item.captions if not caption.strip()]
    notes.counts["empty_captions"] = notes.counts.get("empty_captions", 0) + len(empty)
    if empty:
        notes.warnings.append(f"{name}: {len(empty)} empty caption(s) kept as empty text, as the protocol reads "
                              f"them: {', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''}")


def refuse_repeats(name: str, items: Sequence[Item]) -> None:
    """One image listed twice is two gallery entries of one picture: each would count as a miss for the other's
    captions (I2T) and the pair would tie (T2I). Every task refuses it, naming both entries, except where its
    protocol reads the repeats and counts them (`build_dataset`)."""
    first: dict[Path, int] = {}
    for i, item in enumerate(items):
        j = first.setdefault(item.path, i)
        if j != i:
            raise DataError(f"{name}: {_where(items[j], j)} and {_where(item, i)} are both the image {item.path}; "
                            "each image must be listed once")


def _where(item: Item, index: int) -> str:
    return item.where or f"entry {index} ({item.image_id})"


def status_by_loading(task: Task, root: Path, required: Sequence[str]) -> TaskStatus:
    """Status from the loader itself (so the two cannot disagree): missing files, else counts vs expected.

    Loading reads annotations and stats image files but decodes no image.
    """
    expected = dict(task.meta.expected)
    absent = [rel for rel in required if not (root / rel).exists()]
    if not root.is_dir() or absent:
        what = f"{root} not found" if not root.is_dir() else f"missing {', '.join(absent)} under {root}"
        return TaskStatus("missing", root, {}, expected, f"{what} (expected layout: {task.meta.layout})")
    try:
        data = task.load(root, LoadOptions(skip_bad_images=True))
    except DataError as err:
        return TaskStatus("incomplete", root, {}, expected, str(err))
    found = {"images": len(data.images), "texts": len(data.texts)}
    # Only the published counts are compared (some protocols publish an image count but no caption count).
    state = "found" if all(found.get(key) == value for key, value in expected.items()) else "incomplete"
    detail = "" if state == "found" else f"found {found}, expected {expected}"
    return TaskStatus(state, root, found, expected, detail)
