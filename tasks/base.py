"""The task plugin contract: metadata, a loader from the real on-disk layout, a status check and a sample writer.

A task is added by adding one module to this package (it is imported automatically) or by a third-party package
that exposes a `Task` subclass under the `longbench.tasks` entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from longbench.data.paths import is_data_file
from longbench.datasets import Dataset, LoadOptions
from longbench.errors import DataError

Kind = Literal["retrieval", "classification", "selection"]


@dataclass(frozen=True)
class TaskMeta:
    name: str
    kind: Kind
    #: Dataset family (several tasks can share one, e.g. urban1k and urban-200).
    family: str
    description: str
    #: The evaluation protocol in one line (which split, how many captions, which paper's convention).
    protocol: str
    #: Folder under --data-root that holds the task's files (the default task root).
    subdir: str
    #: The expected layout relative to the task root, as shown in errors and `longbench tasks`.
    layout: str
    #: Where to get the data (URL or instructions).
    source: str
    licence: str
    #: Where the split comes from (which file, which entries).
    split: str
    #: Expected counts of a complete copy, e.g. {"images": 1000, "texts": 1000}.
    expected: dict[str, int] = field(default_factory=dict)
    pitfalls: tuple[str, ...] = ()
    #: Groups this task belongs to (e.g. "long_retrieval").
    groups: tuple[str, ...] = ()
    #: A warning copied into every result of this task (e.g. train/test overlap).
    warning: str | None = None
    #: Shares of captions over 77 and over 248 CLIP tokens (SOT and EOT counted) as published for the real files
    #: (docs/tasks.md), shown by `longbench tasks` when the files are not at hand; None where no figure was published.
    truncation_profile: tuple[float, float] | None = None
    #: The protocol's version, recorded in every result (`task.task_version`). Bump it whenever a change to the
    #: loader or the protocol can change a number; the leaderboard and the gate never compare two versions.
    version: int = 1
    #: Other tasks whose folders this task reads files from (SugarCrepe reads COCO's val2017 images): the run hands
    #: their roots over in `LoadOptions.roots`, so `--root coco=PATH` moves them for both.
    reads: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"task {self.name!r}: version must be an integer >= 1, got {self.version!r}")


@dataclass
class TaskStatus:
    """What is on disk for a task: 'found', 'incomplete' or 'missing', with counts found vs expected."""

    state: Literal["found", "incomplete", "missing"]
    root: Path
    found: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    detail: str = ""


class Task(ABC):
    meta: ClassVar[TaskMeta]

    def root(self, data_root: Path | None, overrides: dict[str, Path] | None = None) -> Path:
        """The task's folder: an explicit `--root name=PATH` wins over `<data-root>/<subdir>`."""
        if overrides and self.meta.name in overrides:
            return Path(overrides[self.meta.name]).expanduser()
        if data_root is None:
            raise DataError(f"{self.meta.name}: no --data-root given and no --root {self.meta.name}=PATH")
        return Path(data_root).expanduser() / self.meta.subdir

    @abstractmethod
    def load(self, root: Path, options: LoadOptions) -> Dataset:
        """Read the task from `root` under the published protocol. Raises DataError on a bad layout."""

    @abstractmethod
    def status(self, root: Path) -> TaskStatus:
        """Cheap check of what is present under `root` (no image decoding)."""

    @abstractmethod
    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """Write a small dataset of about `n` images in the task's real on-disk format under `root`."""

    def unavailable(self) -> str | None:
        """Why this task cannot run on this machine (an optional tool it needs is not installed), or None."""
        return None

    def checked_status(self, root: Path) -> TaskStatus:
        """`status`, never raising: a task whose files cannot even be checked shows as incomplete with the reason,
        so one malformed dataset (or a plugin's bug) cannot hide the state of every other task in a listing."""
        try:
            return self.status(root)
        except Exception as exc:  # noqa: BLE001 -- a listing must list; the reason is shown in the row
            reason = str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
            return TaskStatus("incomplete", Path(root), expected=self.meta.expected, detail=f"cannot check: {reason}")

    def data_file(self, root: Path, relative: str) -> Path:
        """`root/relative` when it is a regular file inside `root`; the layout's "not found" error when nothing is
        there, and a one-line refusal naming it when it is a folder, a FIFO or a symlink leading out (paths.py)."""
        path = root / relative
        if not is_data_file(path, root):
            raise self.missing(root, relative)
        return path

    def missing(self, root: Path, what: str) -> DataError:
        """The one-line error for a missing file or folder: what was expected and where to get it."""
        return DataError(
            f"{self.meta.name}: {what} not found under {root} "
            f"(expected layout: {self.meta.layout}; get it from: {self.meta.source})"
        )
