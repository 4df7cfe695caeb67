"""ObjectNet: only the ImageNet-mapped classes, lower-cased names, the 1-px red border cropped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from longbench.data.images import open_rgb
from longbench.data.synthetic import synthetic_rgb
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task


@pytest.fixture
def sample(tmp_path) -> Path:
    get_task("objectnet").write_sample(tmp_path, 10, seed=2)
    return tmp_path


def test_only_mapped_classes_sorted_by_folder_with_lowercase_names(sample):
    ds = get_task("objectnet").load(sample, LoadOptions())
    assert ds.class_ids == ["alarm_clock", "backpack", "banana", "band_aid"]  # air_freshener is not mapped
    assert ds.classnames == ["alarm clock", "backpack", "banana", "band aid"]
    assert len(ds.images) == 8  # 10 images over 5 folders, 2 in the unmapped one
    for path, label in zip(ds.images, ds.labels, strict=True):
        assert path.parent.name == ds.class_ids[label] and path.suffix == ".png"
    assert ds.crop_border == 1


def test_sample_images_have_a_red_border_that_the_loader_crops(sample):
    ds = get_task("objectnet").load(sample, LoadOptions())
    path = ds.images[int(np.flatnonzero(ds.labels == 2)[0])]
    pixels = np.asarray(Image.open(path))
    assert (pixels[0] == [255, 0, 0]).all() and (pixels[:, -1] == [255, 0, 0]).all()
    cropped = np.asarray(open_rgb(path, crop_border=ds.crop_border))  # what the encoder's image loader does
    np.testing.assert_array_equal(cropped, synthetic_rgb(int(path.stem, 16), (40, 32), 2)[1:-1, 1:-1])


@pytest.mark.parametrize("name", ["folder_to_objectnet_label.json", "objectnet_to_imagenet_1k.json"])
def test_missing_mapping_file_gives_the_expected_layout(sample, name):
    (sample / "objectnet-1.0" / "mappings" / name).unlink()
    with pytest.raises(DataError, match=f"mapping file objectnet-1.0/mappings/{name} not found.*expected layout"):
        get_task("objectnet").load(sample, LoadOptions())
    assert get_task("objectnet").status(sample).state == "missing"


def test_missing_images_folder_gives_the_expected_layout(tmp_path):
    with pytest.raises(DataError, match="objectnet-1.0/images/ not found.*expected layout"):
        get_task("objectnet").load(tmp_path, LoadOptions())


def test_mapped_label_without_folder_is_a_data_error(sample):
    path = sample / "objectnet-1.0" / "mappings" / "objectnet_to_imagenet_1k.json"
    path.write_text(json.dumps({"Unicorn": "unicorn"}))
    with pytest.raises(DataError, match="'Unicorn'.* no folder"):
        get_task("objectnet").load(sample, LoadOptions())


def test_bad_mapping_json_is_a_data_error(sample):
    (sample / "objectnet-1.0" / "mappings" / "folder_to_objectnet_label.json").write_text("{oops")
    with pytest.raises(DataError, match="folder_to_objectnet_label.json: not valid JSON"):
        get_task("objectnet").load(sample, LoadOptions())


def test_missing_class_folder_is_counted_and_warned(sample):
    for p in (sample / "objectnet-1.0" / "images" / "banana").iterdir():
        p.unlink()
    (sample / "objectnet-1.0" / "images" / "banana").rmdir()
    ds = get_task("objectnet").load(sample, LoadOptions())
    assert len(ds.classnames) == 4 and 2 not in set(ds.labels)
    assert ds.counts["missing_class_folders"] == 1 and "banana" in ds.warnings[0]


def test_status_and_limit(sample):
    status = get_task("objectnet").status(sample)
    assert status.state == "incomplete" and status.found == {"classes": 4, "images": 8}
    ds = get_task("objectnet").load(sample, LoadOptions(limit=4))
    assert sorted(ds.labels) == [0, 1, 2, 3]
