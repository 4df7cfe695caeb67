"""Urban1k / Urban-200: stem pairing, numeric order, caption text handling, empty and unpaired files."""

from __future__ import annotations

from pathlib import Path

import pytest

from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task

URBAN = get_task("urban1k")


def _write(root: Path, captions: dict[str, str | bytes]) -> None:
    for i, (stem, text) in enumerate(captions.items()):
        write_image(root / "image" / f"{stem}.jpg", i)
        path = root / "caption" / f"{stem}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())


def test_hand_written_pairs_in_numeric_order(tmp_path):
    _write(tmp_path, {"10": "A tram passes a bakery.", "2": "  Two cyclists wait at a red light.\n",
                      "1": "A long street.\nShops line both sides.\r\nIt is raining."})
    data = URBAN.load(tmp_path, LoadOptions())
    assert data.image_ids == ["1", "2", "10"]
    assert [Path(p).name for p in data.images] == ["1.jpg", "2.jpg", "10.jpg"]
    assert data.texts == ["A long street. Shops line both sides. It is raining.",
                          "Two cyclists wait at a red light.", "A tram passes a bakery."]
    assert data.text_to_image.tolist() == [0, 1, 2]
    assert data.counts["empty_captions"] == 0 and data.skipped == []


def test_empty_caption_is_kept_with_a_warning(tmp_path):
    _write(tmp_path, {"591": "A bus stop.", "592": "", "593": "   \n"})
    data = URBAN.load(tmp_path, LoadOptions())
    assert data.texts == ["A bus stop.", "", ""]
    assert data.counts["empty_captions"] == 2
    assert any("caption/592.txt" in w and "caption/593.txt" in w for w in data.warnings)


def test_unpaired_files_fail_naming_the_stem_or_are_skipped(tmp_path):
    _write(tmp_path, {"1": "One.", "2": "Two.", "3": "Three."})
    (tmp_path / "caption" / "2.txt").unlink()
    (tmp_path / "caption" / "7.txt").write_text("Seven, without an image.")
    with pytest.raises(DataError, match=r"image/2\.jpg has no caption/2\.txt"):
        URBAN.load(tmp_path, LoadOptions())
    data = URBAN.load(tmp_path, LoadOptions(skip_bad_images=True))
    assert data.image_ids == ["1", "3"] and data.texts == ["One.", "Three."]
    assert data.skipped == ["2", "7"] and data.counts["unpaired_files"] == 2


def test_caption_that_is_not_utf8_is_a_data_error(tmp_path):
    _write(tmp_path, {"1": b"caf\xe9 terrace"})
    with pytest.raises(DataError, match=r"1\.txt is not UTF-8"):
        URBAN.load(tmp_path, LoadOptions())


def test_missing_caption_folder_names_it(tmp_path):
    write_image(tmp_path / "image" / "1.jpg", 0)
    with pytest.raises(DataError, match="folder caption/ not found"):
        URBAN.load(tmp_path, LoadOptions())


def test_sample_has_an_empty_caption_and_one_over_248_tokens(tmp_path):
    URBAN.write_sample(tmp_path, 12)
    data = URBAN.load(tmp_path, LoadOptions())
    assert data.image_ids == [str(i) for i in range(1, 13)]
    files = [(tmp_path / "caption" / f"{i}.txt").read_text().strip() for i in range(1, 13)]
    assert data.texts == files
    assert data.counts["empty_captions"] == 1
    words = [len(t.split()) for t in data.texts if t]
    assert max(words) > 248  # every word is at least one CLIP token
    assert min(words) >= 80


def test_urban200_is_its_own_folder():
    meta = get_task("urban-200").meta
    assert meta.subdir == "Urban-200" and meta.expected == {"images": 200, "texts": 200} and meta.groups == ()


def test_lotlip_reads_the_first_line_as_sentences(tmp_path):
    """LoTLIP's dataloaders/urban1k.py: `f.readlines()[0]`, then its sentence normalisation; an empty file (where
    its code fails) stays empty."""
    _write(tmp_path, {"1": "A long street.\r\nShops line both sides.", "2": "  Two cyclists, 3.5 m apart.  ",
                      "3": ""})
    data = get_task("urban1k-lotlip").load(tmp_path, LoadOptions())
    assert data.texts == ["A long street", "Two cyclists, 3. 5 m apart", ""]
    assert URBAN.load(tmp_path, LoadOptions()).texts[0] == "A long street. Shops line both sides."
