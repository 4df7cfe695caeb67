"""Safe extraction: unsafe members refuse the whole archive before anything is written."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from longbench.errors import DataError
from longbench.fetch.extract import extract


def _zip(path: Path, members: list[tuple[str, bytes]], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tf.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tf.addfile(info, io.BytesIO(member[1]))
    return path


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "root" / "work" / "out"


def _nothing_written(tmp_path: Path, target: Path) -> None:
    root = tmp_path / "root"
    written = [p for p in root.rglob("*") if p not in (root / "work", target)]
    assert written == [], written
    assert not (tmp_path / "evil.txt").exists()


def test_zip_extracts_only_requested_members(tmp_path, target):
    archive = _zip(tmp_path / "a.zip", [("annotations/captions_val2017.json", b"{}"),
                                         ("annotations/instances_val2017.json", b"{}"), ("other.txt", b"x")])
    extract(archive, "zip", target, ["annotations/captions_val2017.json"])
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "annotations", "annotations/captions_val2017.json"]


@pytest.mark.parametrize(("name", "message"), [
    ("good/../../../evil.txt", "outside the extraction folder"),
    ("/tmp/evil.txt", "absolute path"),
    ("C:/evil.txt", "absolute path"),
    ("..\\..\\evil.txt", "outside the extraction folder"),
])
def test_zip_with_unsafe_path_is_refused(tmp_path, target, name, message):
    archive = _zip(tmp_path / "a.zip", [("good/a.txt", b"a"), (name, b"evil")])
    with pytest.raises(DataError, match=message):
        extract(archive, "zip", target)
    _nothing_written(tmp_path, target)


def test_zip_symlink_is_refused(tmp_path, target):
    archive = _zip(tmp_path / "a.zip", [("good/link", b"../../../../etc/passwd")], links=("good/link",))
    with pytest.raises(DataError, match="symbolic link"):
        extract(archive, "zip", target)
    _nothing_written(tmp_path, target)


@pytest.mark.parametrize(("member", "message"), [
    (("../../evil.txt", b"evil"), "outside the extraction folder"),
    (("/tmp/evil.txt", b"evil"), "absolute path"),
    (_link("good/link", "../../../evil.txt"), "symlink 'good/link' points outside"),
    (_link("good/link", "/etc/passwd"), "symlink 'good/link' points outside"),
    (_link("good/hard", "../evil.txt", tarfile.LNKTYPE), "hard link 'good/hard' points outside"),
])
def test_tar_with_unsafe_member_is_refused(tmp_path, target, member, message):
    archive = _tar(tmp_path / "a.tar.gz", [("good/a.txt", b"a"), member])
    with pytest.raises(DataError, match=message):
        extract(archive, "tar", target)
    _nothing_written(tmp_path, target)


def test_tar_device_file_is_refused(tmp_path, target):
    device = tarfile.TarInfo("good/dev")
    device.type = tarfile.CHRTYPE
    archive = _tar(tmp_path / "a.tar.gz", [device])
    with pytest.raises(DataError, match="special file"):
        extract(archive, "tar", target)


def test_tar_symlink_inside_the_folder_is_kept(tmp_path, target):
    archive = _tar(tmp_path / "a.tar.gz", [("good/a.txt", b"a"), _link("good/b.txt", "a.txt")])
    extract(archive, "tar", target)
    assert (target / "good" / "b.txt").is_symlink() and (target / "good" / "b.txt").read_bytes() == b"a"


def test_damaged_archive_is_a_data_error(tmp_path, target):
    (tmp_path / "a.zip").write_bytes(b"not a zip")
    (tmp_path / "a.tgz").write_bytes(b"not a tar")
    with pytest.raises(DataError, match="not a readable zip"):
        extract(tmp_path / "a.zip", "zip", target)
    with pytest.raises(DataError, match="not a readable tar"):
        extract(tmp_path / "a.tgz", "tar", target)
