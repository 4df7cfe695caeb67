"""`fetch(name, data_root)`: download, check, extract into a temporary folder, move into place, mark complete.

Everything is staged under `<data-root>/.longbench-fetch/` (same file system, so the final move is a rename):
downloads in `downloads/`, extraction in a fresh temporary folder, completion markers in `done/<part>.json`.
A part's files appear at their destination only after the whole archive was checked and extracted, and its marker
is written only after every destination is in place; an interrupted fetch therefore never leaves a half-extracted
folder in the layout, nor a marker for one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import Progress

from ..artifacts.atomic import write_json_atomic
from ..errors import DataError, UnknownNameError
from ..tasks import TaskStatus, get_task
from .download import Downloaded, is_url, obtain
from .extract import extract
from .instructions import ManualFetchError, manual_instructions
from .sources import MANUAL, SOURCES, Part, Source

WORK_DIR = ".longbench-fetch"
MIRROR_ENV = "LONGBENCH_FETCH_MIRROR"


@dataclass
class PartResult:
    part: Part
    location: str
    #: How the download was checked; empty when the part was already complete and skipped.
    verified: str
    placed: list[Path]
    skipped: bool = False


@dataclass
class FetchReport:
    source: Source
    data_root: Path
    parts: list[PartResult] = field(default_factory=list)
    #: Status of each task the source provides files for, after the fetch.
    statuses: dict[str, TaskStatus] = field(default_factory=dict)


def source_env(name: str) -> str:
    """`LONGBENCH_FETCH_<NAME>`: a per-dataset mirror (dashes become underscores)."""
    return "LONGBENCH_FETCH_" + name.upper().replace("-", "_")


def _is_base(location: str) -> bool:
    """A folder or a base URL ending in '/' holds the parts by file name; anything else is the file itself."""
    return location.endswith("/") if is_url(location) else Path(location).expanduser().is_dir()


def part_location(source: Source, part: Part, override: str | None = None) -> str:
    """Where to get a part: `override`, else $LONGBENCH_FETCH_<NAME>, else $LONGBENCH_FETCH_MIRROR, else the URL."""
    for where, value in (("--source", override), (source_env(source.name), os.environ.get(source_env(source.name))),
                         (MIRROR_ENV, os.environ.get(MIRROR_ENV))):
        if not value:
            continue
        if _is_base(value):
            return value + part.filename if is_url(value) else str(Path(value).expanduser() / part.filename)
        if len(source.parts) > 1:
            files = ", ".join(p.filename for p in source.parts)
            raise DataError(f"{where} {value!r}: {source.name} needs {len(source.parts)} files ({files}); give a "
                            f"folder or a base URL ending in '/' that holds them")
        return value
    return part.url


def resolve_source(name: str, data_root: Path | None = None) -> Source:
    """The fetchable source called `name` (or the one for task `name`); ManualFetchError for account-only data."""
    if name in SOURCES:
        return SOURCES.get(name)
    instructions = manual_instructions(name, data_root)
    if instructions is not None:
        raise ManualFetchError(instructions)
    source = next((s for _, s in SOURCES.items() if name in s.tasks), None)
    if source is None:
        raise UnknownNameError(f"{SOURCES.unknown_message(name)}; account-only datasets (instructions only): "
                               f"{', '.join(MANUAL)}")
    return source


def _destinations(part: Part, data_root: Path) -> list[Path]:
    return [get_task(place.task).root(data_root) / place.to for place in part.places]


def _marker(data_root: Path, part: Part) -> Path:
    return data_root / WORK_DIR / "done" / f"{part.id}.json"


def _refuse_existing(destinations: list[Path], force: bool) -> None:
    for dest in destinations:
        if dest.exists() and not force:
            raise DataError(f"{dest} already exists but was not placed by a complete fetch of this file; move it "
                            f"away or pass --force to replace it")


def _unpack(part: Part, got: Downloaded, downloads: Path, unpacked: Path) -> None:
    if part.kind != "file":
        extract(got.path, part.kind, unpacked, [place.member for place in part.places])
        return
    unpacked.mkdir(parents=True)
    target = unpacked / part.filename
    # Our own download is moved; a user's local file is copied, never moved.
    if got.path.parent == downloads:
        got.path.replace(target)
    else:
        shutil.copyfile(got.path, target)


def _move_into_place(part: Part, unpacked: Path, destinations: list[Path], staging: Path) -> None:
    sources = [unpacked / place.member for place in part.places]
    for place, src in zip(part.places, sources, strict=True):
        if not src.exists():
            found = ", ".join(sorted(p.name for p in unpacked.iterdir())) or "nothing"
            raise DataError(f"{part.filename}: expected {place.member!r} in the archive; its top level holds: {found}")
    replaced = staging / "replaced"
    for i, (src, dest) in enumerate(zip(sources, destinations, strict=True)):
        if dest.exists():
            replaced.mkdir(exist_ok=True)
            dest.rename(replaced / str(i))
        dest.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dest)


def fetch_part(part: Part, location: str, data_root: Path, progress: Progress | None = None, force: bool = False,
               retries: int = 3) -> PartResult:
    destinations = _destinations(part, data_root)
    marker = _marker(data_root, part)
    if not force and marker.is_file() and all(d.exists() for d in destinations):
        return PartResult(part, location, "", destinations, skipped=True)
    # Whatever is at a destination now, without a marker, is not ours to overwrite unasked.
    marker.unlink(missing_ok=True)
    _refuse_existing(destinations, force)
    work = data_root / WORK_DIR
    downloads = work / "downloads"
    got = obtain(location, downloads / part.filename, part.expect, progress, retries)
    staging = Path(tempfile.mkdtemp(prefix=f"{part.id}-", dir=work))
    try:
        unpacked = staging / "unpacked"
        _unpack(part, got, downloads, unpacked)
        _refuse_existing(destinations, force)
        _move_into_place(part, unpacked, destinations, staging)
        write_json_atomic(marker, {"part": part.id, "location": location, "verified": got.verified,
                                   "placed": [str(d) for d in destinations],
                                   "completed": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    except DataError:
        # A refused or wrong archive is useless: drop our copy so the next run downloads again. (Other errors,
        # e.g. a full disk, keep the checked download for the next run.)
        if got.path.parent == downloads:
            got.path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if got.path.parent == downloads:
        got.path.unlink(missing_ok=True)
    return PartResult(part, location, got.verified, destinations)


def fetch(name: str, data_root: Path, source: str | None = None, progress: Progress | None = None,
          force: bool = False, retries: int = 3) -> FetchReport:
    """Fetch dataset `name` into `data_root`; `source` is a mirror (base URL or folder) or, for one-file datasets,
    the archive's URL or local path."""
    data_root = Path(data_root)
    src = resolve_source(name, data_root)
    data_root.mkdir(parents=True, exist_ok=True)
    (data_root / WORK_DIR).mkdir(exist_ok=True)
    locations = [part_location(src, part, source) for part in src.parts]
    report = FetchReport(src, data_root)
    for part, location in zip(src.parts, locations, strict=True):
        report.parts.append(fetch_part(part, location, data_root, progress, force, retries))
    for task_name in src.tasks:
        task = get_task(task_name)
        report.statuses[task_name] = task.checked_status(task.root(data_root))
    return report
