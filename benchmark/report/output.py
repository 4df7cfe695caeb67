"""Writing report files so that a reader (or a CI job) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import DataError


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` (UTF-8, `\\n` line ends) to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def step_summary_path(environ: dict[str, str]) -> Path:
    """The GitHub Actions job-summary file (`--summary -`); refused outside a job that sets it."""
    value = environ.get(STEP_SUMMARY_ENV)
    if not value:
        raise DataError(f"--summary -: ${STEP_SUMMARY_ENV} is not set (it is set inside GitHub Actions jobs)")
    return Path(value)


def append_text(path: Path, text: str) -> Path:
    """Append to `path`: the job summary is shared by every step of a job, so it is never overwritten."""
    with Path(path).open("a", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return Path(path)
