"""Content digests of image files: what the embedding cache keys and the data fingerprint see of an image.

A file's name, size and modification time do not tell its content: a picture replaced by another of the same size
with its modification time kept (`cp -p`, `touch -r`, an archive restored) would be served stale from the cache and
leave the fingerprint unchanged. So both read the bytes, with a fast hash (blake2b), over a few threads (hashlib
releases the GIL on large buffers), and each file is read once per process: digests are remembered under the
file's full stat (inode and change time included, which no rewrite keeps). An image inside a tar archive
(tar_member.py) is digested from its own bytes, remembered under the archive's stat and the member's place.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .image_ref import ImageRef
from .tar_member import TarMember

#: The digest of a file that is missing or cannot be read (its failure is reported where it is decoded).
UNREADABLE = b"unreadable"
_CHUNK = 1 << 20
_THREADS = 8
#: Remembered digests, at most this many (then forgotten all at once: a cache, bounded for million-image runs).
_MEMO_SIZE = 1 << 20
_MEMO: dict[tuple, bytes] = {}


def file_digest(path: Path | str) -> bytes:
    """blake2b (16 bytes) of the file's content, or UNREADABLE; only regular files are opened (a FIFO would block)."""
    try:
        st = os.stat(path)
    except OSError:
        return UNREADABLE
    if not stat.S_ISREG(st.st_mode):
        return UNREADABLE
    key = (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _MEMO:
        h = hashlib.blake2b(digest_size=16)
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
        except OSError:
            return UNREADABLE
        _remember(key, h.digest())
    return _MEMO[key]


def member_digest(image: TarMember) -> bytes:
    """blake2b (16 bytes) of a tar member's bytes, or UNREADABLE when its archive cannot be read."""
    try:
        st = os.stat(image.archive)
    except OSError:
        return UNREADABLE
    key = (os.path.abspath(image.archive), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
           image.offset, image.size)
    if key not in _MEMO:
        try:
            data = image.read_bytes()
        except OSError:
            return UNREADABLE
        _remember(key, hashlib.blake2b(data, digest_size=16).digest())
    return _MEMO[key]


def _remember(key: tuple, digest: bytes) -> None:
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = digest


def image_digest(image: Path | str | TarMember | ImageRef) -> bytes:
    """The content digest of an image file or of a tar member; a zip member or a crop (ImageRef) stands for its
    file's content (its member and box are in its name)."""
    if isinstance(image, TarMember):
        return member_digest(image)
    return file_digest(image.file if isinstance(image, ImageRef) else image)


def image_digests(images: Sequence[Path | str | TarMember | ImageRef]) -> list[bytes]:
    """`image_digest` of every image, in order, read over a few threads; a file many images share (the zip archive
    of many images) is read once, not by several threads at the same time."""
    distinct = list(dict.fromkeys(image.file if isinstance(image, ImageRef) else image for image in images))
    if len(distinct) < 2:
        found = {image: image_digest(image) for image in distinct}
    else:
        with ThreadPoolExecutor(min(_THREADS, len(distinct)), thread_name_prefix="longbench-digest") as pool:
            found = dict(zip(distinct, pool.map(image_digest, distinct), strict=True))
    return [found[image.file if isinstance(image, ImageRef) else image] for image in images]
