"""The Karpathy split files, through coco-karpathy: the test split in file order, per-entry folders, bad entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task
from longbench.tasks.coco import KARPATHY

TASK = get_task("coco-karpathy")


def _karpathy(root: Path, entries: list, write: bool = True) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / KARPATHY).write_text(json.dumps({"images": entries, "dataset": "coco"}))
    for i, e in enumerate(entries):
        if write and e.get("split") == "test":
            write_image(root / e["filepath"] / e["filename"], i)


def _k(filename: str, split: str, raws: list[str], filepath: str = "val2014") -> dict:
    return {"filepath": filepath, "filename": filename, "split": split, "imgid": 0, "cocoid": 1,
            "sentences": [{"raw": r, "tokens": r.split()} for r in raws]}


def test_karpathy_test_split_in_file_order(tmp_path):
    _karpathy(tmp_path, [_k("COCO_val2014_b.jpg", "test", ["b1", "b2", "b3", "b4", "b5", "b6"]),
                         _k("COCO_train2014_x.jpg", "train", ["x"], "train2014"),
                         _k("COCO_val2014_a.jpg", "test", ["a1 ", "a2", "a3", "a4", "a5"]),
                         _k("COCO_val2014_r.jpg", "restval", ["r"])])
    data = TASK.load(tmp_path, LoadOptions())
    assert data.image_ids == ["COCO_val2014_b", "COCO_val2014_a"]
    assert data.images[0] == tmp_path / "val2014" / "COCO_val2014_b.jpg"
    assert data.texts == ["b1", "b2", "b3", "b4", "b5", "a1", "a2", "a3", "a4", "a5"]
    assert data.text_to_image.tolist() == [0] * 5 + [1] * 5


@pytest.mark.parametrize(("entry", "expected"), [
    ({"filename": "a.jpg", "filepath": "val2014", "sentences": []}, r"images\[1\]: expected an object with a 'split'"),
    ({"filename": "a.jpg", "split": "test", "sentences": []}, r"images\[1\]: expected string 'filename' and 'filep"),
    ({"filename": "a.jpg", "filepath": "v", "split": "test", "sentences": ["raw"]}, r"images\[1\]: expected 'sent"),
    (_k("a.jpg", "test", ["x"], filepath="../.."), r"images\[1\]: image path '../../a.jpg' must stay inside"),
])
def test_malformed_karpathy_entry(tmp_path, entry, expected):
    _karpathy(tmp_path, [_k("ok.jpg", "test", ["ok"]), entry], write=False)
    with pytest.raises(DataError, match=expected):
        TASK.load(tmp_path, LoadOptions())


def test_karpathy_file_without_images_list(tmp_path):
    (tmp_path / KARPATHY).write_text("[]")
    with pytest.raises(DataError, match="'images' list"):
        TASK.load(tmp_path, LoadOptions())
