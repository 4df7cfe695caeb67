"""Versions of installed packages, read from their metadata: no package is imported to learn its version."""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version

#: The distribution that installs the `open_clip` module.
OPEN_CLIP = "open_clip_torch"


@functools.cache
def installed_version(distribution: str) -> str | None:
    """The installed version of `distribution` (a pip name), or None when it is not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
