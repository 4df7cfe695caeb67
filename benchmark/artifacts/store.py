"""Filing result files under `--output`: where each goes, when it may replace another, one writer at a time.

Layout: `<output>/<model>/<task>.json`, both names made filesystem-safe, the path resolved and kept inside
`<output>` (a model named `..`, e.g. from a checkpoint file `...pt`, is refused).

Overwrite policy (also in docs/results.md): an existing result is replaced only by a measurement of the same model
weights (`checkpoint_sha256`), the same task version and the same protocol (`task.protocol` and `kind`) on at
least as many images; a changed data fingerprint alone does not keep it (a corrected copy of the same data).
Otherwise the existing file is kept, and
- before any encoding (`check_replaceable`) the run is refused, unless `--overwrite`;
- at write time (another process wrote meanwhile, or skipped images lowered the count) the new result is written
  beside it as `<task>.<created>.json`, and the caller is told which file it kept.
An existing file longbench cannot read (corrupt, a newer schema) is never replaced without `--overwrite`.
Writers hold a lock on the model folder while they decide and write, so concurrent runs into one folder behave
as if they had run one after the other, in the order they finish: no result the policy keeps is ever lost. A
hidden `.<task>.json.*.tmp` that a killed writer left is removed when the folder is next locked.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LongbenchError, OutputError
from .outputs import inside
from .results import Result, read_result, write_result

try:  # POSIX; elsewhere concurrent writers are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ..datasets import Dataset
    from ..provenance import ModelInfo


@dataclass(frozen=True)
class Measurement:
    """What a result measured. Two equal measurements give the same numbers (up to float noise)."""

    checkpoint_sha256: str | None
    task_version: int
    protocol: str
    kind: str
    fingerprint: str
    n_images: int

    @classmethod
    def of(cls, result: Result) -> Measurement:
        task = result.task
        return cls(result.model.checkpoint_sha256, task.task_version, task.protocol, task.kind, task.fingerprint,
                   task.n_images)

    @classmethod
    def planned(cls, model: ModelInfo, meta, dataset: Dataset) -> Measurement:
        """What a run of `model` on the task `meta` (a TaskMeta) over the loaded `dataset` is about to measure.

        Images that fail to decode under --skip-bad-images are not known yet, so `n_images` is an upper bound.
        """
        return cls(model.checkpoint_sha256, meta.version, meta.protocol, meta.kind, dataset.fingerprint,
                   len(dataset.images))


def existing_result_matches(path: Path, wanted: Measurement) -> bool:
    """True when `path` holds a readable result of exactly `wanted` (weights, task version, data fingerprint,
    protocol, kind and image count): re-running it would measure the same thing again."""
    existing = _read_existing(path)
    return isinstance(existing, Result) and Measurement.of(existing) == wanted


def replacement_conflict(existing: Measurement, new: Measurement) -> str | None:
    """Why a result of `new` must not replace one of `existing` (None: it may; see the module doc)."""
    for what, old, now in (
        ("model weights (checkpoint_sha256)", existing.checkpoint_sha256, new.checkpoint_sha256),
        ("task version", existing.task_version, new.task_version),
        ("protocol", existing.protocol, new.protocol),
        ("kind", existing.kind, new.kind),
    ):
        if old != now:
            return f"it was measured with another {what}: {old!r}, this run {now!r}"
    if new.n_images < existing.n_images:
        return f"it was measured on {existing.n_images} images, this run on {new.n_images}"
    return None


def result_path(output: Path | str, model_name: str, task_name: str) -> Path:
    """`<output>/<model-name>/<task>.json`, names made filesystem-safe; OutputError if it would leave `output`."""
    path = Path(output) / _safe_name(model_name, "model name") / f"{_safe_name(task_name, 'task name')}.json"
    return inside(path, Path(output), "result file")


def check_replaceable(path: Path, planned: Measurement, overwrite: bool = False) -> None:
    """Refuse (OutputError) a run whose result would replace `path` against the overwrite policy."""
    conflict = None if overwrite else _conflict(path, planned)
    if conflict:
        raise OutputError(f"{path} is kept: {conflict}; pass --overwrite to replace it, or choose another --output")


@dataclass(frozen=True)
class Stored:
    path: Path  # where the result was written
    kept: Path | None = None  # the existing file it did not replace (it was written beside it)
    reason: str | None = None  # why that file was kept


def store_result(result: Result, output: Path | str, overwrite: bool = False) -> Stored:
    """Write `result` at its place under `output`, or beside the file there that the policy keeps."""
    path = result_path(output, result.model.name, result.task.name)
    with folder_lock(path.parent):
        conflict = None if overwrite else _conflict(path, Measurement.of(result))
        target = path if conflict is None else _beside(path, result.created)
        write_result(result, target)
    return Stored(target, path if conflict else None, conflict)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (created when missing) for the block; released if the process dies."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create or open the result folder: {exc.strerror or exc}") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        _remove_leftovers(folder)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


#: The temporary file of a result write (artifacts/atomic.py: `.<task>.json.<random>.tmp`).
_RESULT_TEMPORARY = re.compile(r"\.(?!probe-)[^/]+\.json\.[^/.]+\.tmp")


def _remove_leftovers(folder: Path) -> None:
    """Result temporaries a killed writer left (between writing and renaming), removed under the lock: every result
    write holds it, so none of them is in progress. (Probe files are written without it: theirs are left alone.)"""
    for path in folder.iterdir():
        if _RESULT_TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):  # gone meanwhile, or not ours to delete: harmless either way
                path.unlink()


def _safe_name(name: str, what: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in name)
    if not safe.strip("."):
        raise OutputError(f"{what} {name!r} cannot name a file or folder; give another one with --name")
    return safe


def _read_existing(path: Path) -> Result | str | None:
    """The result at `path`, None when there is none, or why it cannot be read."""
    if not path.exists():
        return None
    try:
        return read_result(path)
    except LongbenchError as exc:
        return str(exc)


def _conflict(path: Path, new: Measurement) -> str | None:
    existing = _read_existing(path)
    if existing is None:
        return None
    if isinstance(existing, str):
        return f"it is not a result this longbench can read ({existing})"
    return replacement_conflict(Measurement.of(existing), new)


def _beside(path: Path, created: str) -> Path:
    """`<task>.<created, compact>.json` next to `path`, with a counter if that is taken too (under the lock)."""
    stamp = "".join(c for c in created if c.isdigit())[:14]
    candidate, n = path.with_name(f"{path.stem}.{stamp}.json"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}.{stamp}-{n}.json")
    return candidate
