"""Paths that come from data files (JSON fields, token files) or data folders are hostile until checked.

- `safe_join`: a relative path from an annotation file, kept lexically inside its root (no absolute path, no `..`).
- `is_data_file` (and `require_data_file`): what may be opened, for every file a task reads (images, annotation
  and caption files). Only regular files are read (reading a FIFO blocks forever, a device never ends), and a
  symlink that leads outside the task's root is refused like a `..` path in an annotation file. The task root
  itself may be a symlink (it is resolved first): point `--data-root`/`--root` at the real folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from ..errors import DataError, LongbenchError

#: What a non-regular file is, by its stat mode, for the error message.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def safe_join(root: Path, relative: str, source: str) -> Path:
    """`root / relative`, refusing absolute paths and `..` that would leave `root`.

    `source` names the file the path came from, for the error message.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise DataError(f"{source}: expected a relative image path, found {relative!r}")
    rel = PurePosixPath(relative.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or (rel.parts and ":" in rel.parts[0]):
        raise DataError(f"{source}: image path {relative!r} must stay inside {root}")
    return Path(root, *rel.parts)


def is_data_file(path: Path, root: Path) -> bool:
    """True for a regular file that resolves inside `root`; False when nothing is there (a broken symlink too).

    Raises DataError naming `path` when it is a FIFO, device, socket or folder, or a symlink leading outside `root`.
    """
    if not is_regular_file(path):
        return False
    require_inside(path, root)
    return True


def require_data_file(path: Path, root: Path, name: str) -> Path:
    """`path` when `is_data_file(path, root)`; else DataError "<name>: <path> not found" (or why it is refused)."""
    if not is_data_file(path, root):
        raise DataError(f"{name}: {path} not found")
    return path


def is_regular_file(path: Path) -> bool:
    """True for a regular file, False when nothing is there; DataError naming anything else (a FIFO, a device)."""
    kind = _kind(path, DataError)
    if kind is not None and kind != "a regular file":
        raise DataError(f"{path} is {kind}; only regular files are read from a data folder")
    return kind is not None


def require_regular_file(path: Path | str, what: str, error: type[LongbenchError] = DataError) -> None:
    """Refuse (`error`, naming `what` and the path) anything at `path` but a regular file, before it is opened: a
    file a user names (--templates, --references, --compare, a result or checkpoint file) may be a FIFO, which would
    block its reader forever. A missing path passes: the caller says "not found" in its own words."""
    kind = _kind(Path(path), error)
    if kind is not None and kind != "a regular file":
        raise error(f"{what} {path}: is {kind}, expected a regular file")


def _kind(path: Path, error: type[LongbenchError]) -> str | None:
    """What is at `path` ('a regular file', 'a FIFO (named pipe)', ...), or None when nothing is there."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:  # a symlink loop, a permission error: say so rather than "not found"
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def require_inside(path: Path, root: Path) -> None:
    """DataError unless `path`, symlinks resolved, lies inside `root` (also resolved)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        raise DataError(f"{path} is a symlink leading outside the data folder {root} (to {real}); "
                        "point --data-root or --root at the real folder instead")
