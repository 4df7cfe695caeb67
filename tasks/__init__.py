"""Task plugins (import name `longbench.tasks`): one module per dataset family, each registering its tasks.

Every module in this package is imported on first use, so a new task needs only a new file here; other
packages add tasks through the `longbench.tasks` entry-point group.
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points

from longbench.errors import UnknownNameError
from longbench.registry import Registry

from .base import Task, TaskMeta, TaskStatus

TASKS: Registry[Task] = Registry("task")
GROUPS: dict[str, list[str]] = {}
_loaded = False


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: register one instance of a Task subclass under its metadata name and groups."""
    TASKS.add(cls.meta.name, cls())
    for group in cls.meta.groups:
        GROUPS.setdefault(group, []).append(cls.meta.name)
    return cls


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
    load_plugins()
    return TASKS.get(name)


def all_tasks() -> list[Task]:
    load_plugins()
    return [task for _, task in TASKS.items()]


def resolve_tasks(spec: str) -> list[Task]:
    """'long_retrieval,coco' -> the tasks, groups expanded, duplicates dropped, order kept."""
    load_plugins()
    names: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part in GROUPS:
            names.extend(GROUPS[part])
        elif part in TASKS:
            names.append(part)
        else:
            known = sorted([*TASKS, *GROUPS])
            msg = TASKS.unknown_message(part).split(" (known:")[0]
            raise UnknownNameError(f"{msg} (known tasks and groups: {', '.join(known)})")
    if not names:
        raise UnknownNameError(f"no task named in {spec!r}")
    return [TASKS.get(n) for n in dict.fromkeys(names)]


__all__ = ["GROUPS", "TASKS", "Task", "TaskMeta", "TaskStatus", "all_tasks", "get_task", "load_plugins",
           "register_task", "resolve_tasks"]
