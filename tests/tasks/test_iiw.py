"""IIW: LoTLIP's pool order, the 'test' -> 'train' image fallback (iiw and iiw-fg) and the 4 DCI_Test images in no
DCI split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.data.synthetic import write_image
from longbench.errors import DataError

from .helpers import load, write_jsonl

runner = CliRunner()


def _iiw(root: Path) -> None:
    """Two rows per subset, written in the released shapes; files deliberately written in another order."""
    write_jsonl(root / "DCI_Test" / "data.jsonl", [
        {"IIW": "A balcony. Rails are 1.2 m high.", "ex_id": "113029-data.json", "image": "sa_1545038.jpg"},
        {"IIW": "Stairs.\n\nSide text.", "ex_id": "122198-data.json", "image": "sa_1552796.jpg"}])
    write_jsonl(root / "IIW-400" / "data.jsonl", [{"image/key": "aar_test_04600", "IIW": "A lamp."},
                                            {"image/key": "aar_test_04601", "IIW": "A vase."}])
    write_jsonl(root / "DOCCI_Test" / "data.jsonl", [{"image": "test_00731", "IIW": "A toilet.", "DOCCI": "x"},
                                               {"image": "test_01294", "IIW": "A tree.", "DOCCI": "y"}])
    for i, rel in enumerate(("dci/sa_1545038.jpg", "dci/sa_1552796.jpg", "docci_aar/aar_test_04600.jpg",
                             "docci_aar/aar_train_04601.jpg", "docci/test_00731.jpg", "docci/test_01294.jpg")):
        write_image(root / rel, i)


def test_iiw_pool_order_captions_and_train_name_fallback(tmp_path):
    _iiw(tmp_path)
    data = load("iiw", tmp_path)
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
        load("iiw", tmp_path)
    kept = load("iiw", tmp_path, skip_bad_images=True)
    assert kept.skipped == ["docci_aar/aar_test_04601"] and len(kept.texts) == 5


def test_iiw_row_without_its_fields_is_a_data_error(tmp_path):
    _iiw(tmp_path)
    write_jsonl(tmp_path / "IIW-400" / "data.jsonl", [{"key": "aar_test_04600", "IIW": "A lamp."}])
    with pytest.raises(DataError, match=r"IIW-400/data.jsonl: line 1: expected a string 'image'"):
        load("iiw", tmp_path)


def test_iiw_fg_uses_the_same_fallback(tmp_path):
    _iiw(tmp_path)
    rows = [("docci_aar/aar_test_04601.jpg", "A vase"), ("docci_aar/aar_test_04601.jpg", "It is blue"),
            ("dci/sa_1545038.jpg", "A balcony")]
    annotations = [{"image_id": 0 if "aar" in image else 1, "image": image, "caption": c, "caption_id": n}
                   for n, (image, c) in enumerate(rows)]
    (tmp_path / "test_annotations.json").write_text(json.dumps({"annotations": annotations}))
    data = load("iiw-fg", tmp_path)
    assert [Path(p).name for p in data.images] == ["aar_train_04601.jpg", "sa_1545038.jpg"]
    assert data.text_to_image.tolist() == [0, 0, 1]
