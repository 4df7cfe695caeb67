"""Checkpoint digests remembered by file identity: read once, read again whenever the file may have changed."""

from __future__ import annotations

import hashlib
import os

import pytest

from longbench import file_hashes
from longbench.cache_home import HASHES, cache_folder
from longbench.file_hashes import sha256_file


@pytest.fixture
def reads(monkeypatch):
    """The files each call actually read."""
    seen = []
    real = file_hashes._read_sha256
    monkeypatch.setattr(file_hashes, "_read_sha256", lambda path: seen.append(path) or real(path))
    return seen


def test_a_file_is_read_once_while_it_is_unchanged(tmp_path, reads):
    path = tmp_path / "model.pt"
    path.write_bytes(b"weights" * 1000)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert sha256_file(path) == expected and sha256_file(path) == expected
    assert reads == [path]
    assert list(cache_folder(HASHES).rglob("*.json"))


def test_a_rewritten_file_is_read_again_even_with_its_old_size_and_mtime(tmp_path, reads):
    path = tmp_path / "model.pt"
    path.write_bytes(b"a" * 100)
    first = sha256_file(path)
    stat = path.stat()
    path.write_bytes(b"b" * 100)  # same size; the mtime is set back below, the ctime cannot be
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert sha256_file(path) == hashlib.sha256(b"b" * 100).hexdigest() != first
    assert len(reads) == 2


def test_a_replaced_file_is_read_again(tmp_path, reads):
    path, other = tmp_path / "model.pt", tmp_path / "other.pt"
    path.write_bytes(b"a" * 100)
    sha256_file(path)
    other.write_bytes(b"c" * 100)
    other.replace(path)
    assert sha256_file(path) == hashlib.sha256(b"c" * 100).hexdigest()
    assert len(reads) == 2


def test_a_damaged_memo_or_a_read_only_cache_is_only_a_miss(tmp_path, reads, monkeypatch):
    path = tmp_path / "model.pt"
    path.write_bytes(b"x" * 10)
    sha256_file(path)
    for memo in cache_folder(HASHES).rglob("*.json"):
        memo.write_text("{ not json")
    assert sha256_file(path) == hashlib.sha256(b"x" * 10).hexdigest()
    monkeypatch.setenv("LONGBENCH_CACHE", str(tmp_path / "file-not-folder"))
    (tmp_path / "file-not-folder").write_text("")
    assert sha256_file(path) == hashlib.sha256(b"x" * 10).hexdigest()
    assert len(reads) == 3
