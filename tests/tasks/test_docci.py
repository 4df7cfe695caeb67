"""DOCCI: the test split of the descriptions file, in file order, and its bad lines."""

from __future__ import annotations

import pytest

from longbench.data.synthetic import write_image
from longbench.errors import DataError

from .helpers import load, write_jsonl


def test_docci_keeps_test_rows_in_file_order(tmp_path):
    rows = [{"example_id": e, "split": e.rsplit("_", 1)[0], "image_file": f"{e}.jpg", "description": f" {e} text. "}
            for e in ("train_00000", "test_00002", "qual_test_00000", "test_00000", "qual_dev_00000")]
    write_jsonl(tmp_path / "docci_descriptions.jsonlines", rows)
    for i, row in enumerate(rows):
        write_image(tmp_path / "images" / row["image_file"], i)
    data = load("docci", tmp_path)
    assert data.image_ids == ["test_00002", "test_00000"]
    assert data.texts == ["test_00002 text.", "test_00000 text."]


def test_docci_bad_line_names_it(tmp_path):
    path = tmp_path / "docci_descriptions.jsonlines"
    path.write_text('{"split": "test", "image_file": "test_00000.jpg", "description": "x"}\n{"split": \n')
    with pytest.raises(DataError, match=r"docci_descriptions.jsonlines: line 2 is not valid JSON"):
        load("docci", tmp_path)
    path.write_text('{"split": "test", "image_file": "test_00000.jpg"}\n')
    with pytest.raises(DataError, match=r"record 1: expected a string 'description', found nothing"):
        load("docci", tmp_path)
