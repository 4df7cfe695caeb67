"""ShareGPT4V-1k/10k: head-of-file reading, caption field, malformed entries, unsafe and missing images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task
from longbench.tasks.sharegpt4v import ANNOTATIONS

TASK = get_task("sharegpt4v-1k")


def _entry(image: str, caption: object) -> dict:
    return {"id": Path(image).stem, "image": image,
            "conversations": [{"from": "human", "value": "<image>\nDescribe the image."},
                              {"from": "gpt", "value": caption}]}


def _write(root: Path, entries: list, images: list[str] | None = None, raw: str | None = None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / ANNOTATIONS).write_text(raw if raw is not None else json.dumps(entries, indent=2))
    for i, image in enumerate(images if images is not None else [e["image"] for e in entries]):
        write_image(root / "data" / image, i)


def _head_task(entries: int):
    """The ShareGPT4V task reading the first `entries` entries, as the 1k/10k tasks read 1,000/10,000."""
    return type("Head", (type(TASK),), {"entries": entries})()


def test_hand_written_entries(tmp_path):
    _write(tmp_path, [_entry("sam/images/sa_10.jpg", "A red kite.\nIt flies over a beach."),
                      _entry("sam/images/sa_2.jpg", "  Two boats.  "),
                      _entry("coco/train2017/000000000009.jpg", "A plate of food.")])
    data = TASK.load(tmp_path, LoadOptions())
    assert data.texts == ["A red kite. It flies over a beach.", "Two boats.", "A plate of food."]
    assert data.image_ids == ["sam/images/sa_10.jpg", "sam/images/sa_2.jpg", "coco/train2017/000000000009.jpg"]
    assert data.images[0] == tmp_path / "data" / "sam" / "images" / "sa_10.jpg"
    assert data.text_to_image.tolist() == [0, 1, 2]


def test_only_the_head_of_the_file_is_read(tmp_path):
    assert (type(TASK).entries, type(get_task("sharegpt4v-10k")).entries) == (1000, 10_000)
    good = [_entry(f"sam/images/sa_{i}.jpg", f"Caption {i}.") for i in range(3)]
    # Entry 3 is not even valid JSON: a task reading 3 entries never gets there.
    raw = json.dumps(good)[:-1] + ', {"id": broken'
    _write(tmp_path, good, raw=raw)
    data = _head_task(3).load(tmp_path, LoadOptions())
    assert data.texts == ["Caption 0.", "Caption 1.", "Caption 2."]
    with pytest.raises(DataError, match="entry 3 is not valid JSON"):
        _head_task(4).load(tmp_path, LoadOptions())
    assert _head_task(3).load(tmp_path, LoadOptions(limit=2)).texts == ["Caption 0.", "Caption 1."]


@pytest.mark.parametrize(("entry", "expected"), [
    ({"id": 1, "image": "sam/images/sa_1.jpg"}, "entry 1: expected 'conversations'"),
    ({"image": "sam/images/sa_1.jpg", "conversations": [{"value": "only one"}]}, "entry 1: expected 'conv"),
    (_entry("sam/images/sa_1.jpg", ["not", "a string"]), r"entry 1: expected conversations\[1\]\['value'\] to be a "
                                                         "string, found list"),
    ("just a string", "entry 1: expected 'conversations'"),
])
def test_malformed_entry_names_index_and_expectation(tmp_path, entry, expected):
    _write(tmp_path, [_entry("sam/images/sa_0.jpg", "fine"), entry], images=["sam/images/sa_0.jpg"])
    with pytest.raises(DataError, match=expected):
        TASK.load(tmp_path, LoadOptions())


@pytest.mark.parametrize("image", ["../outside.jpg", "/etc/passwd", "sam/../../x.jpg", None])
def test_unsafe_image_path_is_refused(tmp_path, image):
    _write(tmp_path, [_entry("sam/images/sa_0.jpg", "fine"), _entry("sam/images/sa_1.jpg", "x")],
           images=["sam/images/sa_0.jpg"])
    entries = json.loads((tmp_path / ANNOTATIONS).read_text())
    entries[1]["image"] = image
    (tmp_path / ANNOTATIONS).write_text(json.dumps(entries))
    with pytest.raises(DataError, match="entry 1"):
        TASK.load(tmp_path, LoadOptions())


def test_missing_image_is_counted_when_skipped(tmp_path):
    _write(tmp_path, [_entry(f"sam/images/sa_{i}.jpg", f"c{i}") for i in range(3)],
           images=["sam/images/sa_0.jpg", "sam/images/sa_2.jpg"])
    with pytest.raises(DataError, match=r"sa_1\.jpg not found"):
        TASK.load(tmp_path, LoadOptions())
    data = TASK.load(tmp_path, LoadOptions(skip_bad_images=True))
    assert data.texts == ["c0", "c2"] and data.skipped == ["sam/images/sa_1.jpg"]
    assert data.counts["missing_images"] == 1


def test_not_a_list_is_a_data_error(tmp_path):
    _write(tmp_path, [], raw='{"images": []}')
    with pytest.raises(DataError, match="must hold a JSON list"):
        TASK.load(tmp_path, LoadOptions())


def test_sample_captions_are_long_and_newlines_removed(tmp_path):
    TASK.write_sample(tmp_path, 4)
    entries = json.loads((tmp_path / ANNOTATIONS).read_text())
    data = TASK.load(tmp_path, LoadOptions())
    assert data.texts == [e["conversations"][1]["value"].replace("\n", " ") for e in entries]
    assert any("\n" in e["conversations"][1]["value"] for e in entries)
    assert max(len(t.split()) for t in data.texts) > 248


def test_lotlip_reads_the_same_entries_as_sentences(tmp_path):
    """LoTLIP's dataloaders/share4v.py: the same head of the file, each caption split at newlines, '</s>' and
    periods and re-joined with '. ' (the final period goes, '3.5' becomes '3. 5')."""
    raw = ["A red kite.\nIt flies over a beach.", "  Two boats, 3.5 m long.</s>", "A plate of food."]
    _write(tmp_path, [_entry(f"sam/images/sa_{i}.jpg", caption) for i, caption in enumerate(raw)])
    lotlip = get_task("sharegpt4v-1k-lotlip").load(tmp_path, LoadOptions())
    plain = TASK.load(tmp_path, LoadOptions())
    assert lotlip.texts == ["A red kite. It flies over a beach", "Two boats, 3. 5 m long", "A plate of food"]
    assert lotlip.image_ids == plain.image_ids and lotlip.images == plain.images
    assert plain.texts[0] == "A red kite. It flies over a beach."
    ten = get_task("sharegpt4v-10k-lotlip")
    assert (type(get_task("sharegpt4v-1k-lotlip")).entries, type(ten).entries) == (1000, 10_000)
    assert ten.meta.warning == get_task("sharegpt4v-10k").meta.warning and "TULIP" in ten.meta.warning
    assert "dataloaders/share4v.py" in ten.meta.protocol and not ten.meta.groups
