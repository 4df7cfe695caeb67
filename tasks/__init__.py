"""Task plugins (import name `longbench.tasks`): one module per dataset family, each registering its tasks.

Every module in this package is imported on first use, so a new task needs only a new file here (the shared
pieces the task modules build on, such as retrieval_dataset or json_files, register nothing); other packages add
tasks through the `longbench.tasks` entry-point group. A data source (`jsonl:PATH`, ...) builds a task from a user's
own file: `register_source(prefix)` with a factory taking the text after the colon.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from longbench.errors import DataError, UnknownNameError
from longbench.registry import Registry

from .base import Task, TaskMeta, TaskStatus

TASKS: Registry[Task] = Registry("task")
GROUPS: dict[str, list[str]] = {}
#: `PREFIX:REST` task specs: the factory gets REST (a path) and returns a Task for it.
DATA_SOURCES: Registry[Callable[[str], Task]] = Registry("data source")
_loaded = False
#: Each registered task's (module, registration number): the order of a group's members.
_ORDER: dict[str, tuple[str, int]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: register one instance of a Task subclass under its metadata name and groups.

    A group lists its members by module name, then in registration order within a module, whichever module was
    imported first: a direct import of one task module must not reorder `--tasks GROUP` (`compositional` spans four).
    """
    TASKS.add(cls.meta.name, cls())
    _ORDER[cls.meta.name] = (cls.__module__, len(_ORDER))
    for group in cls.meta.groups:
        members = GROUPS.setdefault(group, [])
        members.append(cls.meta.name)
        members.sort(key=_ORDER.__getitem__)
    return cls


def register_source(prefix: str) -> Callable[[Callable[[str], Task]], Callable[[str], Task]]:
    return DATA_SOURCES.register(prefix)


def load_plugins() -> None:
    """Import the built-in task modules and the `longbench.tasks` entry points, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    for ep in entry_points(group="longbench.tasks"):
        obj = ep.load()
        if isinstance(obj, type) and issubclass(obj, Task) and obj.meta.name not in TASKS:
            register_task(obj)


def get_task(name: str) -> Task:
    """A registered task, or a task built from a data source spec such as `jsonl:captions.jsonl`."""
    load_plugins()
    prefix, sep, rest = name.partition(":")
    if sep and prefix in DATA_SOURCES:
        if not rest:
            raise UnknownNameError(f"{name!r}: expected {prefix}:PATH")
        return DATA_SOURCES.get(prefix)(rest)
    return TASKS.get(name)


def read_roots(task: Task, data_root: Path | None, overrides: dict[str, Path] | None = None) -> dict[str, Path]:
    """The folders of the tasks `task` reads files from (`TaskMeta.reads`), resolved as their own runs resolve them."""
    return {name: get_task(name).root(data_root, overrides) for name in task.meta.reads}


def all_tasks() -> list[Task]:
    load_plugins()
    return [task for _, task in TASKS.items()]


def resolve_tasks(spec: str) -> list[Task]:
    """'long_retrieval,coco,jsonl:mine.jsonl' -> the tasks, groups expanded, duplicates dropped, order kept."""
    load_plugins()
    tasks: dict[str, Task] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part in GROUPS:
            found = [TASKS.get(n) for n in GROUPS[part]]
        elif part in TASKS or part.partition(":")[0] in DATA_SOURCES:
            found = [get_task(part)]
        else:
            known = sorted([*TASKS, *GROUPS, *(f"{p}:PATH" for p in DATA_SOURCES)])
            msg = TASKS.unknown_message(part).split(" (known:")[0]
            raise UnknownNameError(f"{msg} (known tasks and groups: {', '.join(known)})")
        for task in found:
            kept = tasks.setdefault(task.meta.name, task)
            if kept.meta != task.meta:  # two sources of one name: the second would be dropped, its result never made
                raise DataError(f"{kept.meta.source} and {task.meta.source} would both be filed as "
                                       f"{task.meta.name!r} (results are named after the file); rename one of them")
    if not tasks:
        raise UnknownNameError(f"no task named in {spec!r}")
    return list(tasks.values())


__all__ = ["DATA_SOURCES", "GROUPS", "TASKS", "Task", "TaskMeta", "TaskStatus", "all_tasks", "get_task",
           "load_plugins", "read_roots", "register_source", "register_task", "resolve_tasks"]
