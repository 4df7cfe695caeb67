"""An image stored in a tar archive (a WebDataset shard), read where it lies: no unpacking to disk.

A member of an uncompressed tar archive is `size` bytes at `offset` in the archive file, so reading it is one seek
and one read; the loader's workers open the archive themselves (a `TarMember` is a small picklable value). Wherever
a dataset's images are file paths a `TarMember` may stand instead: the decoders open it (images.py `image_file`),
the embedding cache and the data fingerprint read its content digest (digest.py), and two rows are one image when
they name one member of one archive (encode.py `image_identity`).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TarMember:
    #: The tar archive (uncompressed: its members' bytes lie at fixed offsets).
    archive: Path
    #: The member's name in the archive.
    member: str
    #: Where the member's bytes start in the archive file, and how many there are.
    offset: int
    size: int

    def read_bytes(self) -> bytes:
        """The member's bytes; OSError when the archive is gone or shorter than it was when it was indexed."""
        with open(self.archive, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read(self.size)
        if len(data) != self.size:
            raise OSError(f"{self.archive} ends inside member {self.member} (was it rewritten after loading?)")
        return data

    def open(self) -> io.BytesIO:
        """A file object over the member's bytes (what PIL opens)."""
        return io.BytesIO(self.read_bytes())

    def location(self) -> str:
        """The absolute archive path and the member: where the image lies, for the embedding cache's key."""
        return f"{os.path.abspath(self.archive)}!{self.member}"

    def name(self, root: Path | None = None) -> str:
        """`archive!member`, the archive relative to `root` where given (the data fingerprint's name)."""
        archive = Path(self.archive).relative_to(root).as_posix() if root is not None else str(self.archive)
        return f"{archive}!{self.member}"

    def __str__(self) -> str:
        return self.name()
