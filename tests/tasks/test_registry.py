"""The task registry: groups, name resolution, entry points, complete metadata."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

import longbench.tasks as tasks_module
from longbench.errors import UnknownNameError
from longbench.evaluators import EVALUATORS
from longbench.registry import Registry
from longbench.tasks import GROUPS, Task, TaskMeta, all_tasks, get_task, load_plugins, resolve_tasks

from .helpers import RETRIEVAL


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
        assert meta.kind in EVALUATORS, f"{meta.name}: no evaluator for its kind {meta.kind!r}"
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


def test_a_group_spanning_modules_keeps_its_order_whichever_module_is_imported_first():
    """`--tasks compositional` runs in one order even when a task module was imported directly before the others."""
    import subprocess
    import sys

    code = ("import longbench.tasks.{} as _; from longbench.tasks import GROUPS, all_tasks; all_tasks(); "
            "print(GROUPS['compositional'])")
    orders = {subprocess.run([sys.executable, "-c", code.format(module)], capture_output=True, text=True,
                             check=True).stdout for module in ("winoground", "sugarcrepe", "base")}
    assert len(orders) == 1 and orders.pop().startswith("['aro-vg-relation', 'aro-vg-attribution'")
