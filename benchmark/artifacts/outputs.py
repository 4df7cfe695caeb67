"""Where longbench writes: every output location is checked before any work starts, and kept inside its folder.

An evaluation can take an hour; a read-only folder, a file given as `--output` or a folder given as `--out` must
fail in a second, with one line, not after the encoding with a traceback. The checks try what the write will do
(create a file in the folder that will hold the output) instead of trusting permission bits, which do not stop
root and do not see read-only mounts.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import OutputError


def check_output_folder(folder: Path | str, what: str) -> Path:
    """Refuse unless `folder` is, or can be created as, a folder longbench can write files in. Creates nothing."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{what} {folder}: is not a folder")
    _probe(_existing_ancestor(folder, what), what, folder)
    return folder


def check_output_file(path: Path | str, what: str) -> Path:
    """Refuse unless `path` can be (re)placed by a regular file: not a folder, not a device, in a writable folder."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{what} {path}: is a folder, expected a file name")
    if path.exists() and not path.is_file():
        raise OutputError(f"{what} {path}: is not a regular file (a device, FIFO or socket); expected a file name")
    check_output_folder(path.parent, what)
    return path


def inside(path: Path, folder: Path, what: str) -> Path:
    """`path` if, once links and `..` are resolved, it stays inside `folder`; else OutputError."""
    resolved, root = Path(path).resolve(), Path(folder).resolve()
    if not resolved.is_relative_to(root):
        raise OutputError(f"{what} {path}: resolves to {resolved}, outside {folder}")
    return path


def _existing_ancestor(folder: Path, what: str) -> Path:
    """The folder itself, or its nearest existing ancestor (where the missing folders would be created)."""
    current = folder.absolute()
    while not current.exists():
        current = current.parent
    if not current.is_dir():
        raise OutputError(f"{what} {folder}: {current} is a file, expected a folder")
    return current


def _probe(folder: Path, what: str, asked: Path) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".longbench-write-check.", suffix=".tmp")
    except OSError as exc:
        where = "" if folder == asked.absolute() else f" ({folder} would hold it)"
        raise OutputError(f"{what} {asked}: cannot write there{where}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(tmp)
