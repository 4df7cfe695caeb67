"""Flickr30k: Karpathy 1k test split and the full token file (Long-CLIP's Table 2 set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task
from longbench.tasks.flickr30k import IMAGES, KARPATHY, TOKENS

FLICKR = get_task("flickr30k")
FULL = get_task("flickr30k-full")


def _images(root: Path, names: list[str]) -> None:
    for i, name in enumerate(names):
        write_image(root / IMAGES / name, i)


def test_karpathy_split_without_filepath(tmp_path):
    entries = [{"filename": "36979.jpg", "split": "train", "sentences": [{"raw": "t"}]},
               {"filename": "1007129816.jpg", "split": "test", "imgid": 1,
                "sentences": [{"raw": f"The man with pierced ears {k}."} for k in range(6)]},
               {"filename": "1009434119.jpg", "split": "test", "sentences": [{"raw": "A dog runs."}]},
               {"filename": "101.jpg", "split": "val", "sentences": [{"raw": "v"}]}]
    (tmp_path / KARPATHY).write_text(json.dumps({"images": entries, "dataset": "flickr30k"}))
    _images(tmp_path, ["1007129816.jpg", "1009434119.jpg"])
    data = FLICKR.load(tmp_path, LoadOptions())
    assert data.image_ids == ["1007129816", "1009434119"]
    assert data.images[1] == tmp_path / IMAGES / "1009434119.jpg"
    assert data.texts == [f"The man with pierced ears {k}." for k in range(5)] + ["A dog runs."]
    assert data.text_to_image.tolist() == [0] * 5 + [1]
    assert data.counts["images_with_fewer_than_5_captions"] == 1


def test_karpathy_filename_leaving_the_folder_is_refused(tmp_path):
    entry = {"filename": "../../etc/passwd", "split": "test", "sentences": [{"raw": "x"}]}
    (tmp_path / KARPATHY).write_text(json.dumps({"images": [entry]}))
    with pytest.raises(DataError, match=r"images\[0\].*must stay inside"):
        FLICKR.load(tmp_path, LoadOptions())


def test_token_file_order_and_captions(tmp_path):
    (tmp_path / TOKENS).write_text(
        "1000092795.jpg#0\tTwo young guys with shaggy hair look at their hands .\r\n"
        "1000092795.jpg#1\tTwo young , White males are outside near many bushes .\r\n"
        "\r\n"
        "10002456.jpg#0\tSeveral men in hard hats are operating a giant pulley system .\r\n"
        "1000092795.jpg#2\tTwo men in green shirts are standing in a yard .\r\n")
    _images(tmp_path, ["1000092795.jpg", "10002456.jpg"])
    data = FULL.load(tmp_path, LoadOptions())
    assert data.image_ids == ["1000092795", "10002456"]  # order of first appearance
    assert data.texts == ["Two young guys with shaggy hair look at their hands .",
                          "Two young , White males are outside near many bushes .",
                          "Two men in green shirts are standing in a yard .",
                          "Several men in hard hats are operating a giant pulley system ."]
    assert data.text_to_image.tolist() == [0, 0, 0, 1]
    assert FULL.load(tmp_path, LoadOptions(limit=1)).texts == data.texts[:3]


def test_only_five_captions_per_image(tmp_path):
    (tmp_path / TOKENS).write_text("".join(f"1.jpg#{k}\tcaption {k}\n" for k in range(7)))
    _images(tmp_path, ["1.jpg"])
    assert FULL.load(tmp_path, LoadOptions()).texts == [f"caption {k}" for k in range(5)]


@pytest.mark.parametrize("bad", ["1.jpg\tno number", "1.jpg#0 caption after a space", "1.jpg#x\tcap", "just text"])
def test_malformed_token_line_names_file_and_line(tmp_path, bad):
    (tmp_path / TOKENS).write_text(f"1.jpg#0\tfine\n1.jpg#1\tfine\n{bad}\n")
    with pytest.raises(DataError, match=rf"{TOKENS} line 3: expected 'NAME\.jpg#n<TAB>caption'"):
        FULL.load(tmp_path, LoadOptions())


def test_token_image_name_leaving_the_folder_is_refused(tmp_path):
    (tmp_path / TOKENS).write_text("../../x.jpg#0\tcaption\n")
    with pytest.raises(DataError, match="must stay inside"):
        FULL.load(tmp_path, LoadOptions())


def test_missing_token_file_points_to_the_source(tmp_path):
    with pytest.raises(DataError, match=f"{TOKENS} not found under .*shannon.cs.illinois.edu"):
        FULL.load(tmp_path, LoadOptions())


def test_samples_share_one_image_folder(tmp_path):
    FULL.write_sample(tmp_path, 5)
    FLICKR.write_sample(tmp_path, 4)
    full, split = FULL.load(tmp_path, LoadOptions()), FLICKR.load(tmp_path, LoadOptions())
    assert len(full.texts) == 25 and len(split.texts) == 20
    lines = (tmp_path / TOKENS).read_text().splitlines()
    assert [line.split("\t")[1] for line in lines] == full.texts


def test_table2_pitfall_is_documented():
    assert any("Table 2" in p for p in FULL.meta.pitfalls)
    assert any("flickr30k-full" in p for p in FLICKR.meta.pitfalls)


def test_an_empty_caption_among_the_first_five_is_kept_counted_and_warned(tmp_path):
    (tmp_path / TOKENS).write_text("".join(f"1.jpg#{k}\t{'' if k == 1 else f'caption {k}'}\n" for k in range(6)))
    _images(tmp_path, ["1.jpg"])
    data = FULL.load(tmp_path, LoadOptions())
    assert data.texts == ["caption 0", "", "caption 2", "caption 3", "caption 4"]  # the protocol's first five
    assert data.counts["empty_captions"] == 1
    assert any("1 empty caption(s) kept as empty text, as the protocol reads them: 1" in w for w in data.warnings)
