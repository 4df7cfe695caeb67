"""Generated task data: each task's own sample writer, the same files the demo and the CLI tests read."""

from __future__ import annotations

from pathlib import Path


def write_samples(root: Path, tasks: str, n: int, seed: int) -> Path:
    """Each task's generated sample (`tasks`: names and groups, comma-separated) in its folder under `root`."""
    from longbench.tasks import resolve_tasks

    for task in resolve_tasks(tasks):
        task.write_sample(task.root(root), n, seed=seed)
    return root
