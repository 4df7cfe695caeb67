"""DOCCI (test split of the descriptions file), IIW (LoTLIP's pool order, image fallbacks, the 4 DCI_Test images in
no DCI split) and FLAIR's sentence-level files (docci-fg, iiw-fg)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task

runner = CliRunner()


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _load(name: str, root: Path, **options):
    return get_task(name).load(root, LoadOptions(**options))


# --- docci -------------------------------------------------------------------------------------------------------

def test_docci_keeps_test_rows_in_file_order(tmp_path):
    rows = [{"example_id": e, "split": e.rsplit("_", 1)[0], "image_file": f"{e}.jpg", "description": f" {e} text. "}
            for e in ("train_00000", "test_00002", "qual_test_00000", "test_00000", "qual_dev_00000")]
    _jsonl(tmp_path / "docci_descriptions.jsonlines", rows)
    for i, row in enumerate(rows):
        write_image(tmp_path / "images" / row["image_file"], i)
    data = _load("docci", tmp_path)
    assert data.image_ids == ["test_00002", "test_00000"]
    assert data.texts == ["test_00002 text.", "test_00000 text."]


def test_docci_bad_line_names_it(tmp_path):
    path = tmp_path / "docci_descriptions.jsonlines"
    path.write_text('{"split": "test", "image_file": "test_00000.jpg", "description": "x"}\n{"split": \n')
    with pytest.raises(DataError, match=r"docci_descriptions.jsonlines: line 2 is not valid JSON"):
        _load("docci", tmp_path)
    path.write_text('{"split": "test", "image_file": "test_00000.jpg"}\n')
    with pytest.raises(DataError, match=r"record 1: expected a string 'description', found nothing"):
        _load("docci", tmp_path)


# --- FLAIR's fine-grained files ------------------------------------------------------------------------------------

def test_fine_grained_file_groups_sentences_per_image_in_first_appearance_order(tmp_path):
    rows = [(7, "test_00005.jpg", "A red car"), (7, "test_00005.jpg", "It is parked"), (2, "test_00001.jpg", "A cat"),
            (2, "test_00001.jpg", "The cat sleeps"), (2, "test_00001.jpg", "On a mat")]
    annotations = [{"image_id": i, "image": image, "caption": c, "caption_id": n}
                   for n, (i, image, c) in enumerate(rows)]
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "test_annotations.json").write_text(json.dumps({"annotations": annotations}))
    for i, name in enumerate(("test_00005.jpg", "test_00001.jpg")):
        write_image(tmp_path / "images" / name, i)
    data = _load("docci-fg", tmp_path)
    assert data.image_ids == ["test_00005", "test_00001"]
    assert data.texts == [c for _, _, c in rows] and data.text_to_image.tolist() == [0, 0, 1, 1, 1]
    annotations[1]["image"] = "test_00001.jpg"
    (tmp_path / "annotations" / "test_annotations.json").write_text(json.dumps({"annotations": annotations}))
    with pytest.raises(DataError, match=r"annotations\[1\]: image_id 7 names 'test_00001.jpg'"):
        _load("docci-fg", tmp_path)


def test_fine_grained_file_of_another_shape_is_a_data_error(tmp_path):
    (tmp_path / "test_annotations.json").write_text(json.dumps([{"image": "dci/sa_1.jpg", "caption": "x"}]))
    with pytest.raises(DataError, match="expected a JSON object with an 'annotations' list"):
        _load("iiw-fg", tmp_path)


# --- iiw ---------------------------------------------------------------------------------------------------------

def _iiw(root: Path) -> None:
    """Two rows per subset, written in the released shapes; files deliberately written in another order."""
    _jsonl(root / "DCI_Test" / "data.jsonl", [
        {"IIW": "A balcony. Rails are 1.2 m high.", "ex_id": "113029-data.json", "image": "sa_1545038.jpg"},
        {"IIW": "Stairs.\n\nSide text.", "ex_id": "122198-data.json", "image": "sa_1552796.jpg"}])
    _jsonl(root / "IIW-400" / "data.jsonl", [{"image/key": "aar_test_04600", "IIW": "A lamp."},
                                            {"image/key": "aar_test_04601", "IIW": "A vase."}])
    _jsonl(root / "DOCCI_Test" / "data.jsonl", [{"image": "test_00731", "IIW": "A toilet.", "DOCCI": "x"},
                                               {"image": "test_01294", "IIW": "A tree.", "DOCCI": "y"}])
    for i, rel in enumerate(("dci/sa_1545038.jpg", "dci/sa_1552796.jpg", "docci_aar/aar_test_04600.jpg",
                             "docci_aar/aar_train_04601.jpg", "docci/test_00731.jpg", "docci/test_01294.jpg")):
        write_image(root / rel, i)


def test_iiw_pool_order_captions_and_train_name_fallback(tmp_path):
    _iiw(tmp_path)
    data = _load("iiw", tmp_path)
    assert data.image_ids == ["docci/test_00731", "docci/test_01294", "docci_aar/aar_test_04600",
                              "docci_aar/aar_test_04601", "dci/sa_1545038", "dci/sa_1552796"]
    assert [Path(p).relative_to(tmp_path).as_posix() for p in data.images][2:4] == [
        "docci_aar/aar_test_04600.jpg", "docci_aar/aar_train_04601.jpg"]
    assert data.texts == ["A toilet", "A tree", "A lamp", "A vase", "A balcony. Rails are 1. 2 m high",
                          "Stairs. Side text"]
    assert data.counts["train_name_fallbacks"] == 1


def test_iiw_image_in_no_dci_split_gets_a_clear_message(tmp_path):
    _iiw(tmp_path / "imageinwords")
    (tmp_path / "imageinwords" / "dci" / "sa_1552796.jpg").unlink()
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", "iiw", "-d", str(tmp_path), "-o",
                                 str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "sa_1552796.jpg not found" in message and "122198-data.json is one of the 4 IIW DCI_Test images" in message
    assert "sa_000138.tar" in message and "Traceback" not in result.output


def test_iiw_missing_image_without_fallback_names_both_names(tmp_path):
    _iiw(tmp_path)
    (tmp_path / "docci_aar" / "aar_train_04601.jpg").unlink()
    with pytest.raises(DataError, match=r"aar_test_04601.jpg not found \(nor LoTLIP's fallback aar_train_04601.jpg\)"):
        _load("iiw", tmp_path)
    kept = _load("iiw", tmp_path, skip_bad_images=True)
    assert kept.skipped == ["docci_aar/aar_test_04601"] and len(kept.texts) == 5


def test_iiw_row_without_its_fields_is_a_data_error(tmp_path):
    _iiw(tmp_path)
    _jsonl(tmp_path / "IIW-400" / "data.jsonl", [{"key": "aar_test_04600", "IIW": "A lamp."}])
    with pytest.raises(DataError, match=r"IIW-400/data.jsonl: line 1: expected a string 'image'"):
        _load("iiw", tmp_path)


def test_iiw_fg_uses_the_same_fallback(tmp_path):
    _iiw(tmp_path)
    rows = [("docci_aar/aar_test_04601.jpg", "A vase"), ("docci_aar/aar_test_04601.jpg", "It is blue"),
            ("dci/sa_1545038.jpg", "A balcony")]
    annotations = [{"image_id": 0 if "aar" in image else 1, "image": image, "caption": c, "caption_id": n}
                   for n, (image, c) in enumerate(rows)]
    (tmp_path / "test_annotations.json").write_text(json.dumps({"annotations": annotations}))
    data = _load("iiw-fg", tmp_path)
    assert [Path(p).name for p in data.images] == ["aar_train_04601.jpg", "sa_1545038.jpg"]
    assert data.text_to_image.tolist() == [0, 0, 1]
