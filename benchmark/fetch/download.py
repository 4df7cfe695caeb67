"""Resumable HTTP download (stdlib urllib) into `<name>.part`, checked before it gets its final name.

Resume: a `.part` left by an interrupted run (or an earlier attempt in this run) is continued with an HTTP Range
request; a server that ignores the range (200 instead of 206) makes the download start over.
A file that fails its checksum or size check is deleted, `.part` included: resuming it would only append to bad
bytes, so the next run starts from zero.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from ..errors import DataError
from .sources import Expect

_CHUNK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+)")
_USER_AGENT = "longbench-fetch (+https://github.com/; python urllib)"


@dataclass(frozen=True)
class Downloaded:
    path: Path
    #: How the file was checked, e.g. "md5 matches the published checksum" or "size matches Content-Length only".
    verified: str


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, expect: Expect, server_size: int | None, label: str | None = None) -> str:
    """Check `path` against the published checksum, else the known size, else the server's size.

    Raises DataError naming `label` (default: the path) and deletes nothing: the caller decides.
    """
    label = label or str(path)
    size = path.stat().st_size
    for algorithm in ("sha256", "md5"):
        wanted = getattr(expect, algorithm)
        if wanted:
            got = file_digest(path, algorithm)
            if got != wanted.lower():
                raise DataError(f"{label}: {algorithm} {got} does not match the expected {wanted} "
                                f"(a damaged download or a different file)")
            return f"{algorithm} matches the published checksum"
    if expect.size is not None:
        if size != expect.size:
            raise DataError(f"{label}: {size} bytes, expected {expect.size}")
        return "size matches the known size (no published checksum)"
    if server_size is not None:
        if size != server_size:
            raise DataError(f"{label}: {size} bytes, but the server announced {server_size}")
        return "size matches the server's Content-Length only (no published checksum)"
    return "not verified (no published checksum and no size from the source)"


def _total_size(response: http.client.HTTPResponse, offset: int) -> int | None:
    """The full file size from Content-Range (206) or Content-Length (200)."""
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if match:
        return int(match.group(2))
    length = response.headers.get("Content-Length")
    return int(length) + offset if length and length.isdigit() else None


class _Bar:
    """One progress bar per file, across resumed attempts (nothing is drawn without a Progress)."""

    def __init__(self, progress: Progress | None, name: str) -> None:
        self.progress = progress
        self.task = progress.add_task(name, total=None) if progress else None

    def start(self, total: int | None, completed: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=total, completed=completed)

    def advance(self, n: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=n)


def _attempt(url: str, part: Path, bar: _Bar, timeout: float) -> int | None:
    """One request that appends to `part` from its current size; returns the total size if the server gave it."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as err:
        # 416: nothing left to send; the part is complete if the server's size says so.
        match = _CONTENT_RANGE.match(err.headers.get("Content-Range", "") if err.headers else "")
        if err.code == 416 and have and match and int(match.group(2)) == have:
            return have
        raise
    with response:
        if have and response.status != 206:
            have = 0  # the server ignored the range: start over
        total = _total_size(response, have)
        bar.start(total, have)
        with part.open("ab" if have else "wb") as out:
            for block in iter(lambda: response.read(_CHUNK), b""):
                out.write(block)
                bar.advance(len(block))
    # urllib ends a read quietly when the server closes early; a short file is an interrupted attempt.
    if total is not None and part.stat().st_size < total:
        raise http.client.IncompleteRead(b"", total - part.stat().st_size)
    return total


def download(url: str, dest: Path, expect: Expect, progress: Progress | None = None, retries: int = 3,
             timeout: float = 60.0) -> Downloaded:
    """Download `url` to `dest` via `dest.part`, resuming up to `retries` times after a dropped connection.

    DataError when the download keeps failing (the `.part` is kept for the next run) or fails its check (the
    `.part` is deleted).
    """
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    total: int | None = None
    bar = _Bar(progress, dest.name)
    for attempt in range(retries + 1):
        try:
            total = _attempt(url, part, bar, timeout)
            break
        except urllib.error.HTTPError as err:
            hint = (" (the dataset may need a login or a licence accepted on its page: download it in a browser "
                    "and pass the file with --source PATH)") if err.code in (401, 403) else ""
            raise DataError(f"{url}: HTTP {err.code} {err.reason}{hint}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            if attempt == retries:
                kept = part.stat().st_size if part.exists() else 0
                raise DataError(f"{url}: download failed after {retries + 1} attempts ({err}); "
                                f"{kept} bytes kept in {part}, run again to resume") from None
    try:
        verified = verify_file(part, expect, total, url)
    except DataError:
        part.unlink()
        raise
    part.replace(dest)
    return Downloaded(dest, verified)


def is_url(location: str) -> bool:
    return location.split("://", 1)[0].lower() in {"http", "https", "ftp", "file"} and "://" in location


def obtain(location: str, dest: Path, expect: Expect, progress: Progress | None = None,
           retries: int = 3) -> Downloaded:
    """A checked local copy of `location`: a URL is downloaded to `dest`; a local file is checked where it is.

    A `dest` left by an earlier run got its name only after passing its check, so it is reused (re-checked against
    a checksum or size when one is known) instead of downloaded again.
    """
    if not is_url(location):
        path = Path(location).expanduser()
        if not path.is_file():
            raise DataError(f"{location}: local archive not found (expected a file or an http(s) URL)")
        return Downloaded(path, verify_file(path, expect, None))
    if dest.is_file():
        if expect.md5 or expect.sha256 or expect.size is not None:
            try:
                return Downloaded(dest, verify_file(dest, expect, None))
            except DataError:
                dest.unlink()
                raise
        return Downloaded(dest, "size matched the server's Content-Length when downloaded by an earlier run")
    return download(location, dest, expect, progress, retries)
