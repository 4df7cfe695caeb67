"""The compositional tasks' loaders on their real formats (real SugarCrepe / SugarCrepe++ entries; Winoground and
ARO's Visual Genome files written in their layout), and their bad input refused in one line."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from longbench.data.image_ref import ImageRef
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.errors import DataError, UnknownNameError
from longbench.tasks import get_task, resolve_tasks

FIXTURES = Path(__file__).parent.parent / "fixtures" / "compositional"


def _coco_images(data: Path, files) -> None:
    for i, name in enumerate(sorted(set(files))):
        write_image(data / "coco" / "val2017" / name, i)


def _real(data: Path, folder: str) -> None:
    shutil.copytree(FIXTURES / folder, data / folder)
    names = [e["filename"] for f in (data / folder / "data").glob("*.json")
             for e in (lambda d: d.values() if isinstance(d, dict) else d)(json.loads(f.read_text()))]
    _coco_images(data, names)


def test_groups_list_the_tasks():
    assert [t.meta.name for t in resolve_tasks("sugarcrepe")] == [
        f"sugarcrepe-{s}" for s in ("add_att", "add_obj", "replace_att", "replace_obj", "replace_rel", "swap_att",
                                    "swap_obj")]
    names = {t.meta.name for t in resolve_tasks("compositional")}
    assert {"winoground", "aro-vg-relation", "aro-coco-order", "sugarcrepe-pp-swap_obj"} <= names


def test_sugarcrepe_reads_the_authors_files_keys_with_a_gap(tmp_path):
    _real(tmp_path, "sugar-crepe")
    data = get_task("sugarcrepe-swap_obj").load(tmp_path / "sugar-crepe", LoadOptions())
    assert data.item_ids == ["0", "1", "107", "109"]
    first = [data.texts[i] for i in data.item_texts[0]]
    assert first == ["A cat sits on its hind legs, and swats at the plant.",
                     "A cat sits on the plant, and swats at its hind legs."]
    assert data.images[data.item_images[0, 0]] == tmp_path / "coco" / "val2017" / "000000222235.jpg"
    assert data.rule == "first_strict"


def test_sugarcrepe_images_follow_the_coco_root(tmp_path):
    _real(tmp_path, "sugar-crepe")
    elsewhere = tmp_path / "mine" / "coco"
    shutil.move(tmp_path / "coco", elsewhere)
    with pytest.raises(DataError, match="000000"):
        get_task("sugarcrepe-add_att").load(tmp_path / "sugar-crepe", LoadOptions())
    data = get_task("sugarcrepe-add_att").load(tmp_path / "sugar-crepe", LoadOptions(roots={"coco": elsewhere}))
    assert all(Path(p).is_relative_to(elsewhere) for p in data.images)


def test_sugarcrepe_refuses_the_old_ent_names_naming_the_layout(tmp_path):
    root = tmp_path / "sugar-crepe"
    (root / "data").mkdir(parents=True)
    shutil.copy(FIXTURES / "sugar-crepe" / "data" / "add_obj.json", root / "data" / "add_ent.json")
    with pytest.raises(DataError) as err:
        get_task("sugarcrepe-add_obj").load(root, LoadOptions())
    message = str(err.value)
    assert "data/add_obj.json" in message and "add_ent.json" in message and "\n" not in message


@pytest.mark.parametrize(("entry", "expected"), [
    ({"caption": "a", "negative_caption": "b"}, "'filename'"),
    ({"filename": "x.jpg", "caption": 3, "negative_caption": "b"}, "string 'caption', found int"),
    ({"filename": "../x.jpg", "caption": "a", "negative_caption": "b"}, "must stay inside"),
    ("not an object", "expected an object"),
])
def test_sugarcrepe_bad_entries_are_one_line_errors(tmp_path, entry, expected):
    path = tmp_path / "sugar-crepe" / "data" / "swap_att.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"0": entry}))
    with pytest.raises(DataError, match=expected) as err:
        get_task("sugarcrepe-swap_att").load(tmp_path / "sugar-crepe", LoadOptions())
    assert "item '0'" in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_sugarcrepe_refuses_a_list_and_an_unknown_subset(tmp_path):
    path = tmp_path / "sugar-crepe" / "data" / "swap_att.json"
    path.parent.mkdir(parents=True)
    path.write_text("[]")
    with pytest.raises(DataError, match="expected a JSON object keyed by item id"):
        get_task("sugarcrepe-swap_att").load(tmp_path / "sugar-crepe", LoadOptions())
    with pytest.raises(UnknownNameError, match="sugarcrepe-swap_ent"):
        resolve_tasks("sugarcrepe-swap_ent")


def test_sugarcrepe_pp_reads_the_authors_files(tmp_path):
    _real(tmp_path, "sugarcrepe-pp")
    data = get_task("sugarcrepe-pp-replace_att").load(tmp_path / "sugarcrepe-pp", LoadOptions())
    assert data.item_ids == ["0", "1", "2", "14"]
    assert data.rule == "sugarcrepe_pp"
    p1, p2, negative = (data.texts[i] for i in data.item_texts[0])
    assert (p1, negative) == ("A tan toilet and sink combination in a small room.",
                              "A white toilet and sink combination in a small room.")
    assert p2.startswith("A small room with a tan toilet")
    # Item 14's two positives are one caption: one row, encoded once.
    assert data.item_texts[3, 0] == data.item_texts[3, 1]
    path = tmp_path / "sugarcrepe-pp" / "data" / "swap_obj.json"
    path.write_text(json.dumps({"0": {}}))
    with pytest.raises(DataError, match="expected a JSON list"):
        get_task("sugarcrepe-pp-swap_obj").load(tmp_path / "sugarcrepe-pp", LoadOptions())


def _winoground(root: Path, zipped: bool) -> None:
    get_task("winoground").write_sample(root, 5, seed=3)
    if not zipped:
        with zipfile.ZipFile(root / "data" / "images.zip") as archive:
            archive.extractall(root / "data")
        (root / "data" / "images.zip").unlink()


def test_winoground_reads_images_zip_as_it_is_like_the_extracted_folder(tmp_path):
    _winoground(tmp_path / "zip", zipped=True)
    _winoground(tmp_path / "folder", zipped=False)
    task = get_task("winoground")
    from_zip = task.load(tmp_path / "zip", LoadOptions())
    from_folder = task.load(tmp_path / "folder", LoadOptions())
    assert isinstance(from_zip.images[0], ImageRef) and from_zip.images[0].member == "images/ex_0_img_0.png"
    assert from_folder.images[0] == tmp_path / "folder" / "data" / "images" / "ex_0_img_0.png"
    for ref, path in zip(from_zip.images, from_folder.images, strict=True):
        assert np.array_equal(np.asarray(ref.open()), np.asarray(Image.open(path).convert("RGB")))
    assert from_zip.texts == from_folder.texts and from_zip.labels == from_folder.labels
    assert from_zip.labels["num_main_preds"][:2] == ["1", "2"]
    assert from_zip.fingerprint != from_folder.fingerprint  # the files differ, the content does not


def test_winoground_missing_member_and_bad_fields(tmp_path):
    _winoground(tmp_path, zipped=True)
    examples = tmp_path / "data" / "examples.jsonl"
    rows = [json.loads(line) for line in examples.read_text().splitlines()]
    rows[2]["image_1"] = "ex_99_img_1"
    examples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match="item 2: images/ex_99_img_1.png is not in .*images.zip"):
        get_task("winoground").load(tmp_path, LoadOptions())
    data = get_task("winoground").load(tmp_path, LoadOptions(skip_bad_images=True))
    assert data.item_ids == ["0", "1", "3", "4"] and data.counts["items_of_missing_images"] == 1
    for bad, message in (({"caption_1": ["a"]}, "string 'caption_1', found list"),
                         ({"image_0": "../../x"}, "must stay inside"),
                         ({"collapsed_tag": None}, "'collapsed_tag'")):
        examples.write_text(json.dumps({**rows[0], **bad}) + "\n")
        with pytest.raises(DataError, match=message) as err:
            get_task("winoground").load(tmp_path, LoadOptions())
        assert "line 1" in str(err.value)


def test_aro_vg_crops_as_the_authors_and_labels_each_item(tmp_path):
    task = get_task("aro-vg-relation")
    task.write_sample(tmp_path, 8)
    data = task.load(tmp_path, LoadOptions())
    entries = json.loads((tmp_path / "visual_genome_relation.json").read_text())
    for index, entry in enumerate(entries):
        ref = data.images[data.item_images[index, 0]]
        # aro_datasets.py: Image.open(path).convert('RGB').crop((x, y, x + w, y + h))
        image = Image.open(tmp_path / "images" / entry["image_path"]).convert("RGB")
        authors = image.crop((entry["bbox_x"], entry["bbox_y"], entry["bbox_x"] + entry["bbox_w"],
                              entry["bbox_y"] + entry["bbox_h"]))
        assert np.array_equal(np.asarray(ref.open()), np.asarray(authors))
        assert [data.texts[i] for i in data.item_texts[index]] == [entry["true_caption"], entry["false_caption"]]
    assert data.labels["relation"] == [e["relation_name"] for e in entries]
    assert "next to" in data.macros["macro_acc"].exclude
    attribution = get_task("aro-vg-attribution")
    attribution.write_sample(tmp_path, 6)
    assert attribution.load(tmp_path, LoadOptions()).labels["attributes"][:2] == ["white_black", "red_green"]


def test_aro_vg_bad_box_and_attributes(tmp_path):
    task = get_task("aro-vg-attribution")
    task.write_sample(tmp_path, 4)
    path = tmp_path / "visual_genome_attribution.json"
    entries = json.loads(path.read_text())
    for bad, message in (({"bbox_w": "40"}, "expected numbers bbox_x"), ({"attributes": ["red"]}, "two strings"),
                         ({"false_caption": None}, "'false_caption', found nothing")):
        path.write_text(json.dumps([entries[0], {**entries[1], **bad}]))
        with pytest.raises(DataError, match=message) as err:
            task.load(tmp_path, LoadOptions())
        assert "entry 1" in str(err.value)


def test_pairs_file_and_its_bad_input(tmp_path):
    task = get_task(f"pairs:{tmp_path / 'mine.jsonl'}")
    task.write_sample(tmp_path, 4)
    data = task.load(tmp_path, LoadOptions())
    assert data.rule == "first_strict" and len(data.item_ids) == 5 and data.item_texts.shape == (5, 3)
    assert data.item_texts[2, 2] == -1  # the third line (image 2's second) has one negative: padded
    for line, message in (('{"image": "images/1.jpg", "caption": "a"}', "'negatives', a list of caption strings"),
                          ('{"image": "images/1.jpg", "caption": "a", "negatives": []}', "at least one negative"),
                          ('{"image": "images/1.jpg", "caption": 1, "negatives": ["b"]}', "string 'caption'"),
                          ('{"image": "images/1.jpg", "caption": "a", "negatives": ["b", 2]}', "list of caption str"),
                          ('{"image": "/etc/x.jpg", "caption": "a", "negatives": ["b"]}', "must stay inside"),
                          ('{"caption": "a", "negatives": ["b"]}', "string 'image', found nothing")):
        (tmp_path / "mine.jsonl").write_text(line + "\n")
        with pytest.raises(DataError, match=message) as err:
            task.load(tmp_path, LoadOptions())
        assert "mine.jsonl item 1" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(DataError, match="built-in task name"):
        get_task(f"pairs:{tmp_path / 'winoground.jsonl'}")


def test_limit_and_missing_images(tmp_path):
    _real(tmp_path, "sugar-crepe")
    task = get_task("sugarcrepe-add_att")
    assert task.load(tmp_path / "sugar-crepe", LoadOptions(limit=2)).item_ids == ["0", "1"]
    first = json.loads((tmp_path / "sugar-crepe" / "data" / "add_att.json").read_text())["1"]["filename"]
    (tmp_path / "coco" / "val2017" / first).unlink()
    with pytest.raises(DataError, match=f"item 1: image .*{first} not found"):
        task.load(tmp_path / "sugar-crepe", LoadOptions())
    data = task.load(tmp_path / "sugar-crepe", LoadOptions(skip_bad_images=True))
    assert "1" not in data.item_ids and data.counts["items_of_missing_images"] >= 1


def test_status_and_verify_see_the_layout(tmp_path):
    from longbench.fetch.verify import verify_task

    _real(tmp_path, "sugar-crepe")
    task = get_task("sugarcrepe-swap_obj")
    status = task.status(tmp_path / "sugar-crepe")
    assert status.state == "incomplete" and status.found["items"] == 4 and status.expected["items"] == 245
    assert get_task("winoground").status(tmp_path / "winoground").state == "missing"
    report = verify_task(task, tmp_path / "sugar-crepe")
    assert report.found == {"items": 4, "images": 4} and not report.damaged
