"""The contract every retrieval task meets through retrieval_dataset: consistent fields, deterministic samples,
`limit` keeping the first images, missing images failing or skipped, and status read by loading."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import Task, get_task

from .helpers import RETRIEVAL


def _with_expected(task: Task, images: int, texts: int) -> Task:
    """The same task with other expected counts, so a sample can be a 'complete' copy."""
    meta = dataclasses.replace(task.meta, expected={"images": images, "texts": texts})
    return type("Resized", (type(task),), {"meta": meta})()


@pytest.fixture(params=RETRIEVAL)
def sample(request, tmp_path):
    task = get_task(request.param)
    root = task.root(tmp_path)
    task.write_sample(root, 6, seed=3)
    return task, root


def test_sample_loads_with_consistent_fields(sample):
    task, root = sample
    data = task.load(root, LoadOptions())
    assert len(data.images) == len(data.image_ids) == 6
    assert len(set(data.image_ids)) == 6
    assert all(Path(p).is_file() and Path(p).is_relative_to(root) for p in data.images)
    assert sorted(set(data.text_to_image.tolist())) == list(range(6))
    assert np.all(np.diff(data.text_to_image) >= 0)
    assert data.fingerprint.startswith("sha256:")
    assert any("published protocol" in w for w in data.warnings)  # a 6-image sample is not the real set


def test_sample_is_deterministic_from_seed(sample, tmp_path):
    task, root = sample
    data = task.load(root, LoadOptions())
    again = tmp_path / "again"
    task.write_sample(again, 6, seed=3)
    assert task.load(again, LoadOptions()).texts == data.texts
    other = tmp_path / "other"
    task.write_sample(other, 6, seed=4)
    assert task.load(other, LoadOptions()).texts != data.texts


def test_limit_keeps_first_images_and_only_their_captions(sample):
    task, root = sample
    full = task.load(root, LoadOptions())
    part = task.load(root, LoadOptions(limit=2))
    assert part.image_ids == full.image_ids[:2]
    keep = full.text_to_image < 2
    assert part.texts == [t for t, k in zip(full.texts, keep, strict=True) if k]
    assert part.text_to_image.tolist() == full.text_to_image[keep].tolist()
    assert part.fingerprint != full.fingerprint
    with pytest.raises(DataError, match="limit"):
        task.load(root, LoadOptions(limit=0))


def test_missing_image_fails_or_is_skipped(sample):
    task, root = sample
    data = task.load(root, LoadOptions())
    gone = Path(data.images[1])
    gone.unlink()
    with pytest.raises(DataError, match=gone.name):
        task.load(root, LoadOptions())
    kept = task.load(root, LoadOptions(skip_bad_images=True))
    assert kept.skipped == [data.image_ids[1]]
    assert kept.image_ids == data.image_ids[:1] + data.image_ids[2:]
    assert kept.texts == [t for t, i in zip(data.texts, data.text_to_image, strict=True) if i != 1]


def test_status_missing_incomplete_found(sample, tmp_path):
    task, root = sample
    assert task.status(tmp_path / "nowhere").state == "missing"
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = task.status(empty)
    assert missing.state == "missing" and task.meta.layout in missing.detail
    data = task.load(root, LoadOptions())
    status = task.status(root)
    assert status.state == "incomplete"
    assert status.found == {"images": 6, "texts": len(data.texts)}
    assert status.expected == task.meta.expected
    complete = _with_expected(task, 6, len(data.texts))
    assert complete.status(root).state == "found"
    Path(data.images[0]).unlink()
    assert complete.status(root).state == "incomplete"


def test_missing_root_names_layout_and_source(tmp_path):
    for name in RETRIEVAL:
        task = get_task(name)
        with pytest.raises(DataError) as err:
            task.load(tmp_path / name, LoadOptions())
        message = str(err.value)
        assert "\n" not in message
        assert task.meta.layout in message and task.meta.source in message and name in message
