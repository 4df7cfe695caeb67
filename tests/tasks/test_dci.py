"""DCI's three protocols: LoTLIP's normalisation and order (dci), TULIP's Long-DCI (dci-long, also from its csv),
FG-CLIP's variants (dci-fgclip, dci-fgclip2), and how they differ on the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.data.synthetic import write_image
from longbench.errors import DataError
from longbench.tasks import get_task

from .helpers import load

runner = CliRunner()


def _write(root: Path, records: dict[str, tuple[str, str]], splits: dict[str, list[str]]) -> None:
    """Annotation files {stem: (short, extra)} with photos sa_<stem>.jpg, and splits.json."""
    (root / "densely_captioned_images" / "annotations").mkdir(parents=True)
    for i, (stem, (short, extra)) in enumerate(records.items()):
        write_image(root / "densely_captioned_images" / "photos" / f"sa_{stem}.jpg", i)
        record = {"image": f"sa_{stem}.jpg", "short_caption": short, "extra_caption": extra, "mask_data": {}}
        (root / "densely_captioned_images" / "annotations" / f"{stem}-data.json").write_text(json.dumps(record))
    (root / "densely_captioned_images" / "splits.json").write_text(json.dumps(splits))


RECORDS = {"3": ("A kitchen.", "The oven is 3.5 years old.\nIt is white."), "1": ("A street.", ""),
           "2": ("A Dog.", "The Dog sleeps.")}
SPLITS = {"train": ["2-data.json"], "valid": ["3-data.json"], "test": ["1-data.json"]}


def test_dci_reads_splits_in_file_order_with_summary_and_normalisation(tmp_path):
    _write(tmp_path, RECORDS, SPLITS)
    data = load("dci", tmp_path)
    assert data.image_ids == ["2", "3", "1"]
    assert data.texts == ["A Dog. The Dog sleeps", "A kitchen. The oven is 3. 5 years old. It is white", "A street"]
    assert [Path(p).name for p in data.images] == ["sa_2.jpg", "sa_3.jpg", "sa_1.jpg"]
    assert load("dci", tmp_path, limit=2).image_ids == ["2", "3"]


def test_extra_caption_variants_differ_only_on_empty_captions_and_case(tmp_path):
    _write(tmp_path, RECORDS, SPLITS)
    long = load("dci-long", tmp_path)
    assert long.image_ids == ["2", "3"]  # sorted; the empty extra caption of 1 is skipped, as TULIP does
    assert long.texts == ["The Dog sleeps.", "The oven is 3.5 years old.\nIt is white."]
    assert long.counts["empty_extra_captions"] == 1 and any("skipped" in w for w in long.warnings)
    fg = load("dci-fgclip", tmp_path)
    assert fg.image_ids == ["1", "2", "3"] and fg.texts == ["", *long.texts]  # FG-CLIP keeps it
    assert load("dci-fgclip2", tmp_path).texts == ["", "the dog sleeps.", "the oven is 3.5 years old.\nit is white."]
    assert load("dci-long", tmp_path, limit=1).image_ids == ["2"]


def test_files_outside_the_splits_are_in_the_extra_caption_variants_only(tmp_path):
    _write(tmp_path, RECORDS, {"train": ["3-data.json"]})
    assert load("dci", tmp_path).image_ids == ["3"]
    assert load("dci-fgclip", tmp_path).image_ids == ["1", "2", "3"]


def test_long_dci_csv_as_tulip_writes_it(tmp_path):
    """dci_long.csv written by pandas exactly as TULIP's script does (tab-separated, newlines quoted)."""
    _write(tmp_path, RECORDS, SPLITS)
    from_annotations = load("dci-long", tmp_path)
    frame = pd.DataFrame([{"filepath": f"sa_{i}.jpg", "title": t}
                          for i, t in zip(from_annotations.image_ids, from_annotations.texts, strict=True)])
    csv_root = tmp_path / "csv"
    (csv_root / "densely_captioned_images").mkdir(parents=True)
    (tmp_path / "densely_captioned_images" / "photos").rename(csv_root / "densely_captioned_images" / "photos")
    frame.to_csv(csv_root / "dci_long.csv", index=False, sep="\t")
    assert '"The oven is 3.5 years old.\nIt is white."' in (csv_root / "dci_long.csv").read_text()
    from_csv = load("dci-long", csv_root)
    assert from_csv.texts == from_annotations.texts
    assert from_csv.image_ids == ["sa_2", "sa_3"]
    assert get_task("dci-long").status(csv_root).found == {"images": 2, "texts": 2}


def test_long_dci_csv_without_its_columns_is_a_data_error(tmp_path):
    (tmp_path / "dci_long.csv").write_text("image,caption\nsa_1.jpg,A dog.\n")
    with pytest.raises(DataError, match=r"expected a header with the columns 'filepath' and 'title' "
                                        r"\(tab-separated\), found 'image,caption'"):
        load("dci-long", tmp_path)


@pytest.mark.parametrize("task", ["dci", "dci-long"])
def test_bad_annotation_file_exits_2_with_one_line(task, tmp_path):
    _write(tmp_path / "dci", RECORDS, SPLITS)
    path = tmp_path / "dci" / "densely_captioned_images" / "annotations" / "2-data.json"
    path.write_text(json.dumps({"image": "sa_2.jpg", "short_caption": "A dog."}))
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", task, "-d", str(tmp_path), "-o",
                                 str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    message = result.output.strip()
    assert "2-data.json: expected a string 'extra_caption', found nothing" in message
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_split_file_naming_a_missing_annotation(tmp_path):
    _write(tmp_path, RECORDS, {"train": ["9-data.json"]})
    with pytest.raises(DataError, match=r"9-data\.json not found"):
        load("dci", tmp_path)


def test_annotation_path_escaping_the_folder_is_refused(tmp_path):
    _write(tmp_path, RECORDS, {"train": ["../../secret.json"]})
    with pytest.raises(DataError, match="must stay inside"):
        load("dci", tmp_path)


def test_long_dci_csv_with_a_byte_order_mark_is_read(tmp_path):
    write_image(tmp_path / "densely_captioned_images" / "photos" / "sa_1.jpg", 0)
    (tmp_path / "dci_long.csv").write_text("\ufefffilepath\ttitle\nsa_1.jpg\tA dog.\n", encoding="utf-8")
    assert load("dci-long", tmp_path).texts == ["A dog."]
