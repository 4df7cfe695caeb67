"""The CI job summary: where GitHub Actions wants it, and appending to it (shared by every step of a job)."""

from __future__ import annotations

from pathlib import Path

from ..artifacts.atomic import write_error
from ..errors import DataError

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def step_summary_path(environ: dict[str, str]) -> Path:
    """The GitHub Actions job-summary file (`--summary -`); refused outside a job that sets it."""
    value = environ.get(STEP_SUMMARY_ENV)
    if not value:
        raise DataError(f"--summary -: ${STEP_SUMMARY_ENV} is not set (it is set inside GitHub Actions jobs)")
    return Path(value)


def append_text(path: Path, text: str) -> Path:
    """Append to `path`: the job summary is shared by every step of a job, so it is never overwritten."""
    try:
        with Path(path).open("a", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except OSError as exc:
        raise write_error(Path(path), exc) from None
    return Path(path)
