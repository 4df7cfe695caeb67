"""The task registry (groups, name resolution, entry points) and the contract every retrieval task meets."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import longbench.tasks as tasks_module
from longbench.datasets import LoadOptions
from longbench.errors import DataError, UnknownNameError
from longbench.registry import Registry
from longbench.tasks import GROUPS, Task, TaskMeta, all_tasks, get_task, load_plugins, resolve_tasks

RETRIEVAL = ["urban1k", "urban-200", "sharegpt4v-1k", "sharegpt4v-10k", "coco", "coco-karpathy", "flickr30k",
             "flickr30k-full"]


def _names(spec: str) -> list[str]:
    return [task.meta.name for task in resolve_tasks(spec)]


# --- registry --------------------------------------------------------------------------------------------------

def test_all_retrieval_tasks_are_registered():
    registered = {task.meta.name for task in all_tasks()}
    assert set(RETRIEVAL) <= registered


def test_groups():
    load_plugins()
    assert sorted(GROUPS["long_retrieval"]) == ["sharegpt4v-1k", "urban1k"]
    assert sorted(GROUPS["short_retrieval"]) == ["coco", "flickr30k"]
    assert sorted(GROUPS["retrieval"]) == ["coco", "flickr30k", "sharegpt4v-1k", "urban1k"]


def test_resolve_expands_groups_drops_duplicates_keeps_order():
    long_group = _names("long_retrieval")
    assert sorted(long_group) == ["sharegpt4v-1k", "urban1k"]
    assert _names("coco, long_retrieval ,urban1k,,coco") == ["coco", *long_group]
    assert _names("flickr30k-full") == ["flickr30k-full"]


def test_unknown_task_suggests_close_name():
    with pytest.raises(UnknownNameError, match=r"unknown task 'urbn1k'; did you mean urban1k") as err:
        resolve_tasks("coco,urbn1k")
    assert "long_retrieval" in str(err.value)  # groups are listed among the known names
    with pytest.raises(UnknownNameError, match="did you mean"):
        get_task("flickr30")


def test_empty_spec_is_an_error():
    with pytest.raises(UnknownNameError, match="no task named"):
        resolve_tasks(" , ")


def test_metadata_is_complete_for_every_task():
    for task in all_tasks():
        meta = task.meta
        for field in ("name", "family", "description", "protocol", "subdir", "layout", "source", "licence", "split"):
            assert getattr(meta, field).strip(), f"{meta.name}: empty {field}"
        assert meta.kind in ("retrieval", "classification")
        assert meta.expected and all(v > 0 for v in meta.expected.values()), meta.name
        assert meta.pitfalls, f"{meta.name}: no pitfalls documented"
        assert isinstance(meta.version, int) and meta.version >= 1, meta.name


@pytest.mark.parametrize("version", [0, -1, 1.5, "2", True])
def test_task_version_must_be_a_positive_integer(version):
    meta = dataclasses.replace(get_task("urban1k").meta, version=1)
    with pytest.raises(ValueError, match="version must be an integer >= 1"):
        dataclasses.replace(meta, version=version)


def test_sharegpt_10k_carries_the_training_overlap_warning():
    assert "training" in get_task("sharegpt4v-10k").meta.warning
    assert get_task("sharegpt4v-1k").meta.warning is None
    assert get_task("sharegpt4v-10k").meta.groups == ()


class _PluginTask(Task):
    meta = TaskMeta(name="plugin-task", kind="retrieval", family="x", description="d", protocol="p", subdir="x",
                    layout="l", source="s", licence="c", split="s", expected={"images": 1}, groups=("extra",))

    def load(self, root, options):
        raise NotImplementedError

    def status(self, root):
        raise NotImplementedError

    def write_sample(self, root, n, seed=0):
        raise NotImplementedError


def test_entry_points_register_task_classes_only(monkeypatch):
    load_plugins()
    fresh: Registry[Task] = Registry("task")
    fresh.add("coco", get_task("coco"))
    points = [SimpleNamespace(load=lambda: _PluginTask), SimpleNamespace(load=lambda: "not a task"),
              SimpleNamespace(load=lambda: type(get_task("coco")))]  # already registered: left alone
    seen = []
    monkeypatch.setattr(tasks_module, "TASKS", fresh)
    monkeypatch.setattr(tasks_module, "GROUPS", {})
    monkeypatch.setattr(tasks_module, "_loaded", False)
    monkeypatch.setattr(tasks_module, "entry_points", lambda group: seen.append(group) or points)
    load_plugins()
    assert seen == ["longbench.tasks"]
    assert list(fresh) == ["coco", "plugin-task"]
    assert tasks_module.GROUPS == {"extra": ["plugin-task"]}


def test_without_entry_points_the_builtin_tasks_load():
    # Nothing in this environment exposes the entry-point group: the built-in modules alone fill the registry.
    assert {task.meta.name for task in all_tasks()} >= set(RETRIEVAL)


# --- the contract every retrieval task meets -------------------------------------------------------------------

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
