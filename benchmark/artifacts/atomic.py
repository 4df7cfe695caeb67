"""Writing files so that a reader (another process, a CI job, a resumed run) never sees half a file.

Files get the mode an ordinary `open()` would give them (0666 less the umask), not the 0600 of a temporary file,
so that a shared results folder stays readable by the group. A failed write (a full disk, a read-only folder)
is an OutputError naming the file, and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..errors import OutputError


@contextmanager
def atomic_open(path: Path | str, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside `path`; rename it over `path` if the block succeeds, delete it if not.

    Text mode writes UTF-8 with `\\n` line ends. The folder is created when missing.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(path, exc) from None
    text = "b" not in mode
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": "\n"} if text else {})) as fh:
            os.fchmod(fh.fileno(), 0o666 & ~umask())
            yield fh
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise


def write_error(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


def umask() -> int:
    """The process umask, read without changing it where the system allows (changing it races other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_json_atomic(path: Path | str, data: Any) -> Path:
    with atomic_open(path) as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    return Path(path)


def write_text_atomic(path: Path | str, text: str) -> Path:
    with atomic_open(path) as fh:
        fh.write(text)
    return Path(path)
