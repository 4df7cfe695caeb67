"""ImageNet val as wnid folders: sorted-wnid classes, open_clip names, unknown folders refused; stratified limit."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task
from longbench.tasks.imagenet import imagenet_wnids


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("imagenet")
    get_task("imagenet").write_sample(root, 10, seed=0)
    return root


def test_wnids_are_the_1000_sorted_ilsvrc_ids():
    wnids = imagenet_wnids()
    assert len(wnids) == 1000 and len(set(wnids)) == 1000 and list(wnids) == sorted(wnids)
    assert wnids[0] == "n01440764" and wnids[-1] == "n15075141"


def test_wnids_match_timm_synsets_when_available():
    spec = importlib.util.find_spec("timm")  # located, not imported (importing timm takes seconds)
    synsets = Path(spec.origin).parent / "data" / "_info" / "imagenet_synsets.txt" if spec and spec.origin else None
    if synsets is None or not synsets.is_file():
        pytest.skip("this timm has no imagenet_synsets.txt")
    assert list(imagenet_wnids()) == synsets.read_text().split()


def test_load_labels_index_the_full_sorted_wnid_list(sample):
    ds = get_task("imagenet").load(sample, LoadOptions())
    assert len(ds.classnames) == 1000 and ds.class_ids == list(imagenet_wnids())
    assert ds.classnames[0] == "tench"  # open_clip's name for n01440764
    for path, label in zip(ds.images, ds.labels, strict=True):
        assert ds.class_ids[label] == path.parent.name
    assert len(ds.images) == 10
    assert ds.image_ids[0].startswith(ds.class_ids[ds.labels[0]] + "/")


def test_sample_has_mixed_modes_including_cmyk_and_greyscale(sample):
    modes = {Image.open(p).mode for p in sorted((sample / "val").rglob("*.JPEG"))}
    assert {"CMYK", "L", "RGB"} <= modes


def test_subset_of_classes_keeps_all_1000(tmp_path):
    (tmp_path / "val" / "n15075141").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(tmp_path / "val" / "n15075141" / "a.JPEG")
    (tmp_path / "val" / "n15075141" / "notes.txt").write_text("not an image")
    ds = get_task("imagenet").load(tmp_path, LoadOptions())
    assert list(ds.labels) == [999] and len(ds.classnames) == 1000


def test_unknown_wnid_folder_is_named(sample, tmp_path):
    (tmp_path / "val" / "n99999999").mkdir(parents=True)
    with pytest.raises(DataError, match="n99999999 is not one of the 1,000 ImageNet-1k wnids"):
        get_task("imagenet").load(tmp_path, LoadOptions())


def test_missing_val_gives_the_expected_layout(tmp_path):
    with pytest.raises(DataError, match=r"val/ not found .*expected layout: val/<wnid>/\*\.JPEG"):
        get_task("imagenet").load(tmp_path, LoadOptions())
    assert get_task("imagenet").status(tmp_path).state == "missing"


def test_flat_val_folder_says_to_sort_into_wnid_folders(tmp_path):
    (tmp_path / "val").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "val" / "ILSVRC2012_val_00000001.JPEG")
    with pytest.raises(DataError, match="no wnid folders; sort them"):
        get_task("imagenet").load(tmp_path, LoadOptions())


def test_status_counts_images_and_classes(sample):
    status = get_task("imagenet").status(sample)
    assert status.state == "incomplete" and status.found == {"images": 10, "classes": 5}


def test_limit_is_class_stratified(sample):
    ds = get_task("imagenet").load(sample, LoadOptions(limit=5))
    assert sorted(np.bincount(ds.labels)[np.unique(ds.labels)]) == [1, 1, 1, 1, 1]


def test_wnid_resource_is_valid_json():
    text = (Path(__file__).parents[2] / "tasks" / "resources" / "imagenet_wnids.json").read_text()
    assert json.loads(text) == list(imagenet_wnids())
