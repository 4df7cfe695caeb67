"""FLAIR's sentence-level files (docci-fg, iiw-fg): sentences grouped per image in first-appearance order."""

from __future__ import annotations

import json

import pytest

from longbench.data.synthetic import write_image
from longbench.errors import DataError

from .helpers import load


def test_fine_grained_file_groups_sentences_per_image_in_first_appearance_order(tmp_path):
    rows = [(7, "test_00005.jpg", "A red car"), (7, "test_00005.jpg", "It is parked"), (2, "test_00001.jpg", "A cat"),
            (2, "test_00001.jpg", "The cat sleeps"), (2, "test_00001.jpg", "On a mat")]
    annotations = [{"image_id": i, "image": image, "caption": c, "caption_id": n}
                   for n, (i, image, c) in enumerate(rows)]
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "test_annotations.json").write_text(json.dumps({"annotations": annotations}))
    for i, name in enumerate(("test_00005.jpg", "test_00001.jpg")):
        write_image(tmp_path / "images" / name, i)
    data = load("docci-fg", tmp_path)
    assert data.image_ids == ["test_00005", "test_00001"]
    assert data.texts == [c for _, _, c in rows] and data.text_to_image.tolist() == [0, 0, 1, 1, 1]
    annotations[1]["image"] = "test_00001.jpg"
    (tmp_path / "annotations" / "test_annotations.json").write_text(json.dumps({"annotations": annotations}))
    with pytest.raises(DataError, match=r"annotations\[1\]: image_id 7 names 'test_00001.jpg'"):
        load("docci-fg", tmp_path)


def test_fine_grained_file_of_another_shape_is_a_data_error(tmp_path):
    (tmp_path / "test_annotations.json").write_text(json.dumps([{"image": "dci/sa_1.jpg", "caption": "x"}]))
    with pytest.raises(DataError, match="expected a JSON object with an 'annotations' list"):
        load("iiw-fg", tmp_path)


@pytest.mark.parametrize("image_id", [[1], {"id": 1}, True, 1.5])
def test_an_image_id_that_is_no_integer_or_string_is_named(tmp_path, image_id):
    from longbench.tasks import get_task

    (tmp_path / "test_annotations.json").write_text(json.dumps(
        {"annotations": [{"image_id": image_id, "image": "dci/sa_1.jpg", "caption": "x"}]}))
    with pytest.raises(DataError, match=r"annotations\[0\]: expected 'image_id' to be an integer or a string, found"):
        load("iiw-fg", tmp_path)
    status = get_task("iiw-fg").checked_status(tmp_path)
    assert status.state == "incomplete" and "expected 'image_id'" in status.detail
