"""Safe extraction of zip and tar archives: every member is checked before anything is written.

Refused (the whole archive, naming the member): absolute paths, drive letters, `..` components, links whose target
leaves the extraction folder (tar symlinks and hard links), any link in a zip (zipfile cannot create one, and would
write the link target as file content), and special files (devices, FIFOs). Only members under the requested
prefixes are written, so a 241 MB annotations archive yields just the one file needed.
"""

from __future__ import annotations

import posixpath
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from ..errors import DataError


def _parts(name: str) -> tuple[str, ...]:
    return PurePosixPath(name.replace("\\", "/")).parts


def check_name(archive: Path, name: str) -> tuple[str, ...]:
    """The member's path components, or DataError if the name is absolute or could leave the target."""
    parts = _parts(name)
    if name.startswith(("/", "\\")) or (parts and ":" in parts[0]):
        raise DataError(f"{archive}: refused: member {name!r} has an absolute path")
    if ".." in parts:
        raise DataError(f"{archive}: refused: member {name!r} would be written outside the extraction folder")
    if not parts:
        raise DataError(f"{archive}: refused: member with an empty name")
    return parts


def _link_stays_inside(member: str, target: str, relative_to_member: bool) -> bool:
    """Whether a link target resolves inside the extraction folder (symlinks: relative to the member's folder)."""
    target = target.replace("\\", "/")
    if target.startswith("/") or (len(target) > 1 and target[1] == ":"):
        return False
    base = posixpath.dirname(member.replace("\\", "/")) if relative_to_member else ""
    resolved = posixpath.normpath(posixpath.join(base, target))
    return resolved != ".." and not resolved.startswith("../")


def _check_tar(archive: Path, members: Sequence[tarfile.TarInfo]) -> None:
    for member in members:
        check_name(archive, member.name)
        if member.issym() or member.islnk():
            if not _link_stays_inside(member.name, member.linkname, relative_to_member=member.issym()):
                kind = "symlink" if member.issym() else "hard link"
                raise DataError(f"{archive}: refused: {kind} {member.name!r} points outside the extraction folder "
                                f"({member.linkname!r})")
        elif not (member.isfile() or member.isdir()):
            raise DataError(f"{archive}: refused: member {member.name!r} is a special file (device or FIFO)")


def _is_zip_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _check_zip(archive: Path, infos: Sequence[zipfile.ZipInfo]) -> None:
    for info in infos:
        check_name(archive, info.filename)
        if _is_zip_link(info):
            raise DataError(f"{archive}: refused: member {info.filename!r} is a symbolic link")


def _wanted(parts: tuple[str, ...], prefixes: Sequence[tuple[str, ...]] | None) -> bool:
    """Whether a member is one of the requested members or inside one (or a folder leading to one)."""
    if prefixes is None:
        return True
    return any(parts[: len(p)] == p or p[: len(parts)] == parts for p in prefixes)


def _extract_zip(archive: Path, target: Path, prefixes: Sequence[tuple[str, ...]] | None) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _check_zip(archive, infos)
            for info in infos:
                parts = _parts(info.filename)
                if not _wanted(parts, prefixes):
                    continue
                out = target.joinpath(*parts)
                if info.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as err:
        raise DataError(f"{archive}: not a readable zip archive ({err})") from None


def _extract_tar(archive: Path, target: Path, prefixes: Sequence[tuple[str, ...]] | None) -> None:
    try:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            _check_tar(archive, members)
            chosen = [m for m in members if _wanted(_parts(m.name), prefixes)]
            # The stdlib "data" filter (Python >= 3.10.12) repeats the checks above as a second line of defence.
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tf.extractall(target, members=chosen, **extra)
    except (tarfile.TarError, EOFError) as err:
        raise DataError(f"{archive}: not a readable tar archive ({err})") from None


def extract(archive: Path, kind: str, target: Path, members: Sequence[str] | None = None) -> None:
    """Extract `archive` (kind 'zip' or 'tar', any compression) into `target`, keeping only `members` if given.

    Nothing is written when any member is unsafe; a failure part-way leaves `target` incomplete, which is why
    callers extract into a temporary folder and move the result into place only after success.
    """
    prefixes = [_parts(m) for m in members] if members is not None else None
    target.mkdir(parents=True, exist_ok=True)
    if kind == "zip":
        _extract_zip(archive, target, prefixes)
    elif kind == "tar":
        _extract_tar(archive, target, prefixes)
    else:
        raise ValueError(f"unknown archive kind {kind!r}")
