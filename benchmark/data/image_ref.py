"""Images that are not a whole file of their own: a member of a zip archive, a box cropped out of a picture, or both.

Winoground ships its images as `images.zip`, read here as it is (no extraction); ARO's VG-Relation and
VG-Attribution score the crop of each image to the annotated box, as the authors' `VG_Relation.__getitem__`
crops it (`Image.open(path).convert('RGB').crop((x, y, x + w, y + h))`, PIL's own rounding and padding). Wherever
a dataset's images are file paths, an `ImageRef` may stand instead: the decoders open it (`open_rgb`), the
embedding cache keys it by its location (file, member, box) and its file's content digest (digest.py), and the
data fingerprint names all three.
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

#: (left, upper, right, lower) in pixels, the box `PIL.Image.crop` takes.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ImageRef:
    #: The file on disk: the picture itself, or the zip archive holding it.
    file: Path
    #: The member of the zip archive `file` ('/'-separated), or None when `file` is the picture.
    member: str | None = None
    #: The box cropped out of the decoded RGB picture, or None for all of it.
    box: Box | None = None

    def open(self) -> Image.Image:
        """The RGB picture (fully decoded, so a truncated file fails here), cropped to `box`."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(self._source()) as im:
                img = im.convert("RGB")
        return img.crop(self.box) if self.box is not None else img

    def _source(self) -> Path | io.BytesIO:
        if self.member is None:
            return self.file
        try:
            with zipfile.ZipFile(self.file) as archive:
                return io.BytesIO(archive.read(self.member))
        except KeyError:
            raise OSError(f"{self.member} is not in {self.file}") from None
        except zipfile.BadZipFile as exc:
            raise OSError(f"{self.file} is not a readable zip archive ({exc})") from None

    def name(self, root: Path | None = None) -> str:
        """The file (relative to `root` where given), its member and its box: what tells two refs apart."""
        return self._named(self.file.relative_to(root).as_posix() if root is not None else str(self.file))

    def __str__(self) -> str:
        return self.name()

    def location(self) -> str:
        """The absolute file path, its member and its box: where the image lies, for the embedding cache's key
        (beside the file's content digest)."""
        return self._named(os.path.abspath(self.file))

    def _named(self, file: str) -> str:
        return file + (f"!{self.member}" if self.member else "") + (f" box {list(self.box)}" if self.box else "")


def file_of(image: Path | str | ImageRef) -> Path | str:
    """The file on disk that holds an image: the image's own path, or an ImageRef's file (a zip archive or the
    picture a box is cropped out of)."""
    return image.file if isinstance(image, ImageRef) else image
