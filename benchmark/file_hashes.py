"""sha256 of checkpoint files, remembered by the file's identity so that a file is read in full once.

A file is known by its absolute path, size, modification and change times (nanoseconds) and inode. Rewriting a file
changes its ctime, which no user call can set back (unlike the mtime), and replacing it changes its inode, so a file
whose content changed is always hashed afresh. Digests live under the cache home's `hashes/` (memo.py), which
follows `$LONGBENCH_CACHE` like the weights folder; results keep recording the full digest.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .cache_home import HASHES
from .memo import memo_key, read_memo, write_memo

#: Read size while hashing.
BLOCK = 1 << 20


def file_identity(path: Path | str) -> list[int | str]:
    """What names one version of a file: absolute path, size, mtime and ctime in nanoseconds, device and inode."""
    absolute = os.path.abspath(path)
    st = os.stat(absolute)
    return [absolute, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_dev, st.st_ino]


def sha256_file(path: Path | str) -> str:
    """The file's sha256 (hex): remembered from an earlier call on the same version of the file, else read."""
    before = file_identity(path)
    key = memo_key("sha256", before)
    known = read_memo(HASHES, key)
    if known is not None and isinstance(known.get("sha256"), str):
        return known["sha256"]
    digest = _read_sha256(path)
    if file_identity(path) == before:  # a file written while it was read is not remembered
        write_memo(HASHES, key, {"file": before, "sha256": digest})
    return digest


def _read_sha256(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            h.update(block)
    return h.hexdigest()
