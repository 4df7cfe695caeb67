"""Versions of the code that runs: installed packages' (read from their metadata or files: no package is imported to
learn its version) and longbench's own source."""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: The distribution that installs the `open_clip` module.
OPEN_CLIP = "open_clip_torch"


@functools.cache
def installed_version(distribution: str) -> str | None:
    """The installed version of `distribution` (a pip name), or None when it is not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


@functools.cache
def source_digest() -> str:
    """sha256 of longbench's own source files: what a memo written by other code (a manifest, remembered ranks) is
    keyed by, so it is not read."""
    package = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def torch_version() -> str | None:
    """`torch.__version__` (with its build tag, e.g. `+cu130`, which the package metadata leaves out), read from
    torch's own version.py when torch is not imported yet: importing it takes about a second."""
    if "torch" in sys.modules:
        return sys.modules["torch"].__version__
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "version.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return installed_version("torch")
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if isinstance(target, ast.Name) and target.id == "__version__" and isinstance(node.value, ast.Constant):
            return str(node.value.value)
    return installed_version("torch")
