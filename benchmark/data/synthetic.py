"""Small synthetic images in the modes real datasets contain, for `write_sample` and the tests.

Real collections mix modes: greyscale JPEGs in COCO, CMYK JPEGs in ImageNet, RGBA and palette PNGs in web crawls
(sometimes under a .jpg name). The sample writers cycle through all of them so every loader sees each one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

#: (PIL mode, file format) in the order the writers cycle through them.
MODES: tuple[tuple[str, str], ...] = (("RGB", "JPEG"), ("L", "JPEG"), ("RGBA", "PNG"), ("CMYK", "JPEG"), ("P", "PNG"))


def synthetic_rgb(index: int, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A deterministic uint8 RGB image [H, W, 3]: a per-index colour gradient plus noise, distinct per index."""
    rng = np.random.default_rng([seed, index])
    w, h = size
    base = rng.integers(0, 256, size=3)
    yy, xx = np.mgrid[0:h, 0:w]
    grad = (xx[..., None] * rng.uniform(-2, 2, 3) + yy[..., None] * rng.uniform(-2, 2, 3)).astype(np.int64)
    noise = rng.integers(-20, 21, size=(h, w, 3))
    return np.clip(base + grad + noise, 0, 255).astype(np.uint8)


def write_image(path: Path, index: int, seed: int = 0, size: tuple[int, int] | None = None,
                mode_format: tuple[str, str] | None = None) -> Path:
    """Write image number `index` to `path`, in the mode/format `MODES[index % len(MODES)]` unless given.

    The format is chosen by content, not by the file suffix: a PNG may land under a .jpg name, as it does in the wild.
    """
    mode, fmt = mode_format or MODES[index % len(MODES)]
    size = size or (40 + 7 * (index % 5), 36 + 5 * (index % 3))
    img = Image.fromarray(synthetic_rgb(index, size, seed), "RGB")
    if mode == "P":
        img = img.quantize(colors=64)
    elif mode == "RGBA":
        img = img.convert("RGBA")
        img.putalpha(200)
    else:
        img = img.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=fmt)
    return path
