"""Only regular files inside the task root are read: FIFOs, devices, sockets and escaping symlinks are named."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from longbench.data.paths import is_data_file
from longbench.errors import DataError


def test_regular_file_missing_file_and_dangling_symlink(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    assert is_data_file(tmp_path / "a.txt", tmp_path)
    assert not is_data_file(tmp_path / "nope.txt", tmp_path)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    assert not is_data_file(tmp_path / "dangling.txt", tmp_path)


def test_special_files_are_refused_by_name(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(DataError, match=r"pipe\.txt is a FIFO \(named pipe\); only regular files"):
        is_data_file(tmp_path / "pipe.txt", tmp_path)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock.jpg"))
        with pytest.raises(DataError, match=r"sock\.jpg is a socket"):
            is_data_file(tmp_path / "sock.jpg", tmp_path)
    (tmp_path / "dir.jpg").mkdir()
    with pytest.raises(DataError, match=r"dir\.jpg is a folder"):
        is_data_file(tmp_path / "dir.jpg", tmp_path)
    if Path("/dev/null").exists():
        (tmp_path / "null.jpg").symlink_to("/dev/null")
        with pytest.raises(DataError, match=r"null\.jpg is a character device"):
            is_data_file(tmp_path / "null.jpg", tmp_path)


def test_symlinks_may_stay_inside_but_not_leave_the_root(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside.jpg"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.jpg").write_bytes(b"x")
    outside.write_bytes(b"x")
    (root / "inside.jpg").symlink_to(root / "sub" / "real.jpg")
    (root / "out.jpg").symlink_to(outside)
    assert is_data_file(root / "inside.jpg", root)
    with pytest.raises(DataError, match=r"out\.jpg is a symlink leading outside the data folder"):
        is_data_file(root / "out.jpg", root)
    # The root itself may be a symlink: it is resolved first.
    (tmp_path / "link").symlink_to(root)
    assert is_data_file(tmp_path / "link" / "sub" / "real.jpg", tmp_path / "link")
    # A sibling folder whose name starts like the root's is still outside.
    (tmp_path / "root2").mkdir()
    (tmp_path / "root2" / "x.jpg").write_bytes(b"x")
    (root / "sibling.jpg").symlink_to(tmp_path / "root2" / "x.jpg")
    with pytest.raises(DataError, match="leading outside"):
        is_data_file(root / "sibling.jpg", root)


def test_a_fifo_as_a_user_data_file_is_refused_not_read(tmp_path):
    from typer.testing import CliRunner

    from longbench.cli import app

    os.mkfifo(tmp_path / "captions.jsonl")
    result = CliRunner().invoke(app, ["run", "--model", "tiny-clip", "--tasks", f"jsonl:{tmp_path / 'captions.jsonl'}",
                                      "--output", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2 and "captions.jsonl is a FIFO" in result.output, result.output
    assert not (tmp_path / "out").exists()
