"""Resumable download: progress, checksum/size checks, resume with Range, restart when the server ignores it."""

from __future__ import annotations

import io
import os

import pytest
from rich.console import Console
from rich.progress import Progress

from longbench.errors import DataError
from longbench.fetch.download import download, obtain
from longbench.fetch.sources import Expect

from .helpers import md5

DATA = os.urandom(50_000)


def test_download_shows_progress_and_checks_content_length(server, tmp_path):
    server.state.files["a.bin"] = DATA
    progress = Progress(console=Console(file=io.StringIO()))
    with progress:
        got = download(server.url + "a.bin", tmp_path / "a.bin", Expect(), progress)
    assert got.path.read_bytes() == DATA
    assert "Content-Length only" in got.verified
    (task,) = progress.tasks
    assert task.total == len(DATA) and task.completed == len(DATA)
    assert not (tmp_path / "a.bin.part").exists()


def test_published_md5_is_checked(server, tmp_path):
    server.state.files["a.bin"] = DATA
    got = download(server.url + "a.bin", tmp_path / "a.bin", Expect(md5=md5(DATA)))
    assert got.verified == "md5 matches the published checksum"


def test_wrong_checksum_deletes_the_download(server, tmp_path):
    """A file with the wrong checksum cannot be repaired by resuming: nothing is kept, the next run starts over."""
    server.state.files["a.bin"] = DATA
    with pytest.raises(DataError, match="md5 .* does not match the expected 0+"):
        download(server.url + "a.bin", tmp_path / "a.bin", Expect(md5="0" * 32))
    assert list(tmp_path.iterdir()) == []


def test_wrong_known_size_is_refused(server, tmp_path):
    server.state.files["a.bin"] = DATA
    with pytest.raises(DataError, match=f"{len(DATA)} bytes, expected 7"):
        download(server.url + "a.bin", tmp_path / "a.bin", Expect(size=7))
    assert list(tmp_path.iterdir()) == []


def test_dropped_connection_is_resumed_with_a_range_request(server, tmp_path):
    server.state.files["a.bin"] = DATA
    server.state.drop_first["a.bin"] = 12_345
    got = download(server.url + "a.bin", tmp_path / "a.bin", Expect(md5=md5(DATA)))
    assert got.path.read_bytes() == DATA
    assert server.state.requests == [("a.bin", None), ("a.bin", "bytes=12345-")]


def test_interrupted_download_keeps_the_part_and_the_next_run_resumes(server, tmp_path):
    server.state.files["a.bin"] = DATA
    server.state.drop_first["a.bin"] = 20_000
    with pytest.raises(DataError, match="run again to resume"):
        download(server.url + "a.bin", tmp_path / "a.bin", Expect(), retries=0)
    assert (tmp_path / "a.bin.part").read_bytes() == DATA[:20_000]
    assert not (tmp_path / "a.bin").exists()
    download(server.url + "a.bin", tmp_path / "a.bin", Expect())
    assert (tmp_path / "a.bin").read_bytes() == DATA
    assert server.state.requests[-1] == ("a.bin", "bytes=20000-")


def test_server_ignoring_range_makes_the_download_start_over(server, tmp_path):
    server.state.files["a.bin"] = DATA
    server.state.ignore_range = True
    (tmp_path / "a.bin.part").write_bytes(b"stale bytes from another file")
    download(server.url + "a.bin", tmp_path / "a.bin", Expect())
    assert (tmp_path / "a.bin").read_bytes() == DATA


def test_complete_part_is_accepted_when_the_server_has_nothing_left(server, tmp_path):
    server.state.files["a.bin"] = DATA
    (tmp_path / "a.bin.part").write_bytes(DATA)
    download(server.url + "a.bin", tmp_path / "a.bin", Expect(md5=md5(DATA)))
    assert (tmp_path / "a.bin").read_bytes() == DATA
    assert server.state.requests == [("a.bin", f"bytes={len(DATA)}-")]


def test_http_error_names_the_url(server, tmp_path):
    with pytest.raises(DataError, match=r"missing.bin: HTTP 404"):
        download(server.url + "missing.bin", tmp_path / "missing.bin", Expect())


def test_forbidden_says_how_to_get_the_file_by_hand(server, tmp_path):
    server.state.errors["gated.zip"] = 403
    with pytest.raises(DataError, match="HTTP 403 .*--source PATH"):
        download(server.url + "gated.zip", tmp_path / "gated.zip", Expect())


def test_local_file_is_checked_in_place_and_never_moved(tmp_path):
    local = tmp_path / "archive.bin"
    local.write_bytes(DATA)
    got = obtain(str(local), tmp_path / "downloads" / "archive.bin", Expect(md5=md5(DATA)))
    assert got.path == local and local.is_file()
    with pytest.raises(DataError, match="md5"):
        obtain(str(local), tmp_path / "downloads" / "archive.bin", Expect(md5="1" * 32))
    assert local.is_file()
    with pytest.raises(DataError, match="local archive not found"):
        obtain(str(tmp_path / "nope.zip"), tmp_path / "d" / "nope.zip", Expect())
