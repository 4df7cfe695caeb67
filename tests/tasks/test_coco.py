"""COCO val2017 (Long-CLIP protocol); the Karpathy 5k test split is in test_karpathy.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task
from longbench.tasks.coco import ANNOTATIONS

COCO = get_task("coco")


def _coco(root: Path, images: list, annotations: list, files: list[str] | None = None) -> None:
    for i, name in enumerate(files if files is not None else [im["file_name"] for im in images]):
        write_image(root / "val2017" / name, i)
    (root / "val2017").mkdir(parents=True, exist_ok=True)
    (root / ANNOTATIONS).parent.mkdir(parents=True, exist_ok=True)
    (root / ANNOTATIONS).write_text(json.dumps({"info": {}, "licenses": [], "images": images,
                                                "annotations": annotations}))


def _ann(image_id: int, caption: object) -> dict:
    return {"image_id": image_id, "id": 0, "caption": caption}


def _three_images(root: Path) -> None:
    images = [{"id": 30, "file_name": "000000000030.jpg"}, {"id": 10, "file_name": "000000000010.jpg"},
              {"id": 20, "file_name": "000000000020.jpg"}]
    anns = [_ann(10, "ten a"), _ann(20, "twenty a"), _ann(30, "thirty a"), _ann(99, "orphan"),
            *[_ann(10, f"ten {c}") for c in "bcdef"], _ann(30, "thirty b\n"), _ann(20, "twenty b"),
            *[_ann(30, f"thirty {c}") for c in "cde"]]
    _coco(root, images, anns)


def test_val2017_sorted_by_id_first_five_captions_in_annotation_order(tmp_path):
    _three_images(tmp_path)
    data = COCO.load(tmp_path, LoadOptions())
    assert data.image_ids == ["000000000010", "000000000020", "000000000030"]
    assert data.texts == ["ten a", "ten b", "ten c", "ten d", "ten e",  # "ten f" is the 6th: dropped
                          "twenty a", "twenty b",
                          "thirty a", "thirty b", "thirty c", "thirty d", "thirty e"]
    assert data.text_to_image.tolist() == [0] * 5 + [1] * 2 + [2] * 5
    assert data.counts["images_with_fewer_than_5_captions"] == 1
    assert data.counts["captions_of_unlisted_images"] == 1
    assert COCO.load(tmp_path, LoadOptions(limit=1)).texts == data.texts[:5]


def test_image_without_captions_is_left_out_and_counted(tmp_path):
    _coco(tmp_path, [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}], [_ann(2, "b")])
    data = COCO.load(tmp_path, LoadOptions())
    assert data.image_ids == ["b"] and data.counts["images_without_captions"] == 1


@pytest.mark.parametrize(("images", "annotations", "expected"), [
    ([{"id": 1}], [], r"images\[0\]: expected an object with integer 'id' and 'file_name'"),
    ([{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}], [], r"images\[1\]: image id 1 is listed"),
    ([{"id": 1, "file_name": "a.jpg"}], [_ann(1, "ok"), {"image_id": 1}], r"annotations\[1\]: expected"),
    ([{"id": 1, "file_name": "a.jpg"}], [_ann(1, 5)], r"annotations\[0\]: expected"),
])
def test_malformed_coco_file(tmp_path, images, annotations, expected):
    _coco(tmp_path, images, annotations, files=[])
    with pytest.raises(DataError, match=expected):
        COCO.load(tmp_path, LoadOptions())


def test_not_json_or_wrong_shape(tmp_path):
    _coco(tmp_path, [], [], files=[])
    (tmp_path / ANNOTATIONS).write_text('{"images": [')
    with pytest.raises(DataError, match="not valid UTF-8 JSON"):
        COCO.load(tmp_path, LoadOptions())
    (tmp_path / ANNOTATIONS).write_text('{"images": []}')
    with pytest.raises(DataError, match="'images' and 'annotations' lists"):
        COCO.load(tmp_path, LoadOptions())


def test_file_name_leaving_the_folder_is_refused(tmp_path):
    _coco(tmp_path, [{"id": 7, "file_name": "../../secret.jpg"}], [_ann(7, "x")], files=[])
    with pytest.raises(DataError, match="image id 7.*must stay inside"):
        COCO.load(tmp_path, LoadOptions())


def test_missing_val2017_folder(tmp_path):
    (tmp_path / ANNOTATIONS).parent.mkdir(parents=True)
    (tmp_path / ANNOTATIONS).write_text("{}")
    with pytest.raises(DataError, match="val2017/ not found.*expected layout"):
        COCO.load(tmp_path, LoadOptions())


def test_sample_has_the_real_file_shape(tmp_path):
    COCO.write_sample(tmp_path, 5)
    raw = json.loads((tmp_path / ANNOTATIONS).read_text())
    assert set(raw) == {"info", "licenses", "images", "annotations"}
    assert [im["id"] for im in raw["images"]] != sorted(im["id"] for im in raw["images"])  # not pre-sorted
    data = COCO.load(tmp_path, LoadOptions())
    by_id = {im["id"]: [] for im in raw["images"]}
    for ann in raw["annotations"]:
        by_id[ann["image_id"]].append(ann["caption"].strip())
    assert data.texts == [c for i in sorted(by_id) for c in by_id[i][:5]]
    assert len(raw["annotations"]) > len(data.texts)  # one image has a 6th caption
    assert data.counts["images_with_fewer_than_5_captions"] == 1
