"""Writing files so that a reader (another process, a CI job, a resumed run) never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_open(path: Path | str, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside `path`; rename it over `path` if the block succeeds, delete it if not.

    Text mode writes UTF-8 with `\\n` line ends. The folder is created when missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    text = "b" not in mode
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": "\n"} if text else {})) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path | str, data: Any) -> Path:
    with atomic_open(path) as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    return Path(path)


def write_text_atomic(path: Path | str, text: str) -> Path:
    with atomic_open(path) as fh:
        fh.write(text)
    return Path(path)
