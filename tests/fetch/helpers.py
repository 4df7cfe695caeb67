"""What the fetch tests share: a local HTTP server with Range support (behind the `server` fixture), and archives in
the published formats built from folders."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    #: path -> bytes to send before dropping the connection, on the first request for that path only.
    drop_first: dict[str, int] = field(default_factory=dict)
    ignore_range: bool = False
    #: path -> HTTP error status to answer with.
    errors: dict[str, int] = field(default_factory=dict)
    #: (path, Range header or None) of every request, in order.
    requests: list[tuple[str, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: ServerState

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path, header = self.path.lstrip("/"), self.headers.get("Range")
        self.state.requests.append((path, header))
        data = self.state.files.get(path)
        if data is None or path in self.state.errors:
            self.send_error(self.state.errors.get(path, 404))
            return
        start = int(header.removeprefix("bytes=").split("-")[0]) if header and not self.state.ignore_range else 0
        if start >= len(data) and start:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        first = sum(1 for p, _ in self.state.requests if p == path) == 1
        if first and path in self.state.drop_first:
            body = body[: self.state.drop_first[path]]
            self.close_connection = True
        self.wfile.write(body)


@dataclass
class Server:
    url: str
    state: ServerState


@contextmanager
def serve() -> Iterator[Server]:
    """A server on a free local port for the duration of the `with` block."""
    state = ServerState()
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}/", state)
    finally:
        httpd.shutdown()
        httpd.server_close()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def zip_folder(folder: Path, prefix: str) -> bytes:
    """The files under `folder` as a zip whose members start with `prefix/` (folder entries included)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(f"{prefix}/", "")
        for path in sorted(folder.rglob("*")):
            name = f"{prefix}/{path.relative_to(folder).as_posix()}"
            if path.is_dir():
                zf.writestr(name + "/", "")
            else:
                zf.write(path, name)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def tar_folder(folder: Path, arcname: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        tf.add(folder, arcname=arcname)
    return buffer.getvalue()
