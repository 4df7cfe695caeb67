"""Decoding images for the image tower: files of any mode (RGB, L, RGBA, CMYK, P) or uint8 arrays.

Decoding happens in DataLoader workers; a file that fails to decode is reported back as a failure (not raised in
the worker, where the error would lose its file name) so the caller can name it or skip it. What a worker makes of
an image (preprocessed pixels, or bytes for the GPU) is the `--decode` mode's business (decoders.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..datasets import Images
from .image_ref import ImageRef
from .tar_member import TarMember

Preprocess = Callable[[Image.Image], torch.Tensor]
Source = Path | ImageRef | TarMember | np.ndarray
#: (image file or array, border to crop) -> what the batch carries for it; module-level (picklable for spawn).
Load = Callable[[Source, int], Any]


def image_file(source: Path | TarMember) -> Path | IO[bytes]:
    """What PIL opens for an image file or a tar member (its bytes, read from the archive)."""
    return source.open() if isinstance(source, TarMember) else source


def open_rgb(source: Source, crop_border: int = 0) -> Image.Image:
    """An RGB PIL image; `crop_border` pixels are removed from every side (ObjectNet's 1-px red frame)."""
    if isinstance(source, np.ndarray):
        img = Image.fromarray(source, "RGB")
    elif isinstance(source, ImageRef):
        img = source.open()
    else:
        with warnings.catch_warnings():
            # A decompression-bomb *warning* (between 1x and 2x PIL's pixel limit) is not worth stopping for;
            # above 2x PIL raises DecompressionBombError, which is reported as a bad image.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(image_file(source)) as im:
                img = im.convert("RGB")  # also forces the full decode, so truncated files fail here
    if crop_border:
        w, h = img.size
        if min(w, h) <= 2 * crop_border:
            raise ValueError(f"a {w}x{h} image is too small to crop a {crop_border}-px border from")
        img = img.crop((crop_border, crop_border, w - crop_border, h - crop_border))
    return img


@dataclass
class Failure:
    index: int
    reason: str


def pil_pixels(preprocess: Preprocess, source: Source, crop_border: int) -> torch.Tensor:
    """The reference path: PIL decode, then the model's own transform."""
    return preprocess(open_rgb(source, crop_border))


class ImageDataset(torch.utils.data.Dataset):
    def __init__(self, images: Images, load: Load, crop_border: int = 0):
        self.images = images
        self.load = load
        self.crop_border = crop_border

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[int, Any, str | None]:
        try:
            return index, self.load(self.images[index], self.crop_border), None
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError, SyntaxError) as exc:
            return index, None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip()


def collate(items: Sequence[tuple[int, torch.Tensor | None, str | None]]):
    """(indices, pixels or None, failures) of one batch, bad images set aside."""
    good = [(i, x) for i, x, err in items if err is None]
    failures = [Failure(i, err) for i, _, err in items if err is not None]
    if not good:
        return torch.empty(0, dtype=torch.long), None, failures
    idx, pixels = zip(*good, strict=True)
    return torch.tensor(idx), torch.stack(pixels), failures
