"""Paths that come from data files (JSON fields, token files) are hostile until checked."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from ..errors import DataError


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
