"""FLAIR's fine-grained annotation files (one sentence per row), read by docci-fg and iiw-fg. Registers nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from longbench.errors import DataError

from .base import Task
from .json_files import read_json, string_field
from .retrieval_dataset import Item


def flair_items(task: Task, root: Path, path: Path, image_path: Callable[[str, str], Path]) -> list[Item]:
    """FLAIR's fine-grained annotation file: `{"annotations": [{"image_id", "image", "caption", "caption_id"}]}`.

    One caption per row; rows sharing an `image_id` are one image. Images keep the order of their first row
    (FLAIR's `extract_unique_img_list_from_data_list`), captions the file order. `image_path(image, where)` maps
    the row's `image` to a file.
    """
    source = f"{task.meta.name}: {path}"
    data = read_json(path, task.meta.name, root)
    rows = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise DataError(f"{source}: expected a JSON object with an 'annotations' list (FLAIR's format)")
    items: dict[Any, Item] = {}
    for index, row in enumerate(rows):
        where = f"{source}: annotations[{index}]"
        if not isinstance(row, dict) or "image_id" not in row:
            raise DataError(f"{where}: expected an object with 'image_id', 'image' and 'caption'")
        if isinstance(row["image_id"], bool) or not isinstance(row["image_id"], int | str):
            raise DataError(f"{where}: expected 'image_id' to be an integer or a string, found "
                            f"{type(row['image_id']).__name__}")
        image, caption = string_field(row, "image", where), string_field(row, "caption", where)
        item = items.get(row["image_id"])
        if item is None:
            item = items[row["image_id"]] = Item(str(Path(image).with_suffix("").as_posix()),
                                                 image_path(image, where), [],
                                                 where=f"{path.name} annotations[{index}] (image_id {row['image_id']})")
        elif image_path(image, where) != item.path:
            raise DataError(f"{where}: image_id {row['image_id']} names {image!r}, an earlier row another image")
        item.captions.append(caption)
    return list(items.values())
