"""One rule for an image listed twice, in every retrieval task: refused, naming both entries (retrieval_dataset.py),
except ShareGPT4V, whose protocol reads the repeats, which are counted and warned about (test_sharegpt4v.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from longbench.errors import DataError
from longbench.tasks import get_task
from longbench.tasks.dci_files import ANNOTATIONS, SPLITS

from .helpers import load


def edit_json(path: Path, change: Callable[[object], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def edit_lines(path: Path, change: Callable[[list[dict]], None]) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    change(rows)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def docci(root: Path) -> None:
    def change(rows):
        test = [r for r in rows if r["split"] == "test"]
        test[2]["image_file"] = test[0]["image_file"]
    edit_lines(root / "docci_descriptions.jsonlines", change)


def flair(path: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        def change(data):
            first = data["annotations"][0]["image"]
            for row in data["annotations"]:
                if row["image_id"] == 2:
                    row["image"] = first
        edit_json(root / path, change)
    return mutate


def dci_split_twice(root: Path) -> None:
    edit_json(root / SPLITS, lambda d: d["train"].append(d["test"][0]))


def dci_photo_twice(root: Path) -> None:
    files = sorted((root / ANNOTATIONS).glob("*.json"))
    photo = json.loads(files[0].read_text())["image"]
    edit_json(files[3], lambda d: d.update(image=photo))


def iiw(root: Path) -> None:
    edit_lines(root / "DOCCI_Test" / "data.jsonl", lambda rows: rows[1].update(image=rows[0]["image"]))


def flickr_block_again(root: Path) -> None:
    path = root / "results_20130124.token"
    path.write_text(path.read_text() + "".join(line + "\n" for line in path.read_text().splitlines()[:5]))


def flickr_slot_twice(root: Path) -> None:
    path = root / "results_20130124.token"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:2], lines[1], *lines[2:]]) + "\n")


CASES = [
    ("docci", docci, r"docci_descriptions\.jsonlines record 3 and docci_descriptions\.jsonlines record 5 are both "
                     r"the image .*test_00000\.jpg; each image must be listed once"),
    ("docci-fg", flair("annotations/test_annotations.json"),
     r"annotations\[0\] \(image_id 0\) and test_annotations\.json annotations\[\d+\] \(image_id 2\) are both"),
    ("iiw-fg", flair("test_annotations.json"), r"\(image_id 0\) and test_annotations\.json annotations\[\d+\] "
                                               r"\(image_id 2\) are both the image"),
    ("dci", dci_split_twice, r"splits\.json: \d+-data\.json is listed twice \(in 'train' and 'test'\)"),
    ("dci", dci_photo_twice, r"\d+-data\.json and \d+-data\.json are both the image .*photos/sa_\d+\.jpg"),
    ("dci-long", dci_photo_twice, r"-data\.json and \d+-data\.json are both the image"),
    ("dci-fgclip", dci_photo_twice, r"-data\.json and \d+-data\.json are both the image"),
    ("iiw", iiw, r"DOCCI_Test/data\.jsonl line 1 and DOCCI_Test/data\.jsonl line 2 are both the image"),
    ("flickr30k-full", flickr_block_again, r"line 31: \d+\.jpg#0 is listed again \(first at line 1\)"),
    ("flickr30k-full", flickr_slot_twice, r"line 3: \d+\.jpg#1 is listed again \(first at line 2\)"),
]


@pytest.mark.parametrize("task,mutate,message", CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in CASES])
def test_an_image_listed_twice_is_refused_naming_both_entries(tmp_path, task, mutate, message):
    root = get_task(task).root(tmp_path)
    get_task(task).write_sample(root, 6, seed=2)
    load(task, root)  # the sample itself loads
    mutate(root)
    with pytest.raises(DataError, match=message):
        load(task, root)
    assert "cannot check" not in get_task(task).checked_status(root).detail  # status says why, without a crash
