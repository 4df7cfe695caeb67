"""Writing the site folder whole: built beside its final place and swapped in, so that a reader (a web server, a
browser tab) never sees half a site, and a failed write leaves the old site as it was.

`--html SITE` replaces only a folder that is missing, empty, or a site longbench wrote before (it holds MARKER):
any other folder is refused, so that a typo cannot delete someone's files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ...artifacts.atomic import umask, write_error
from ...artifacts.outputs import check_output_folder
from ...errors import OutputError
from .layout import MARKER


def check_site_folder(folder: Path, what: str = "--html") -> Path:
    """Refuse, before any work, a site folder that cannot be written or is not ours to replace."""
    folder = check_output_folder(Path(folder), what)
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise OutputError(f"{what} {folder}: not empty and not a site longbench wrote (no {MARKER} in it); give a new "
                          "or empty folder")
    return folder


def write_site(files: dict[str, bytes], folder: Path, what: str = "--html") -> Path:
    """Write `files` (relative posix path -> content) as the folder `folder`, replacing the site that was there."""
    folder = check_site_folder(folder, what).absolute()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    except OSError as exc:
        raise write_error(folder, exc) from None
    try:
        os.chmod(staging, 0o777 & ~umask())
        for name, content in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        _swap(staging, folder)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(folder, exc) from None
        raise
    return folder


def _swap(staging: Path, folder: Path) -> None:
    """Put `staging` in the place of `folder`; the old site is moved aside first and deleted last."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".old"))
    os.rename(folder, old / "site")
    try:
        os.rename(staging, folder)
    except OSError:
        os.rename(old / "site", folder)  # put the old site back
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
