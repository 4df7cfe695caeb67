"""The image decoding modes (`--decode`), named and checked without importing torchvision.

data/decoders.py implements them (and imports torchvision, about as long as torch itself): a run whose images are
all cached (embedding_cache.py) checks its `--decode` here and never imports it.
"""

from __future__ import annotations

from ..errors import DataError
from ..registry import Registry

MODES: Registry[str] = Registry("image decoding (--decode)")
MODES.add("pil", "the reference: PIL decoding and the model's own transforms")
MODES.add("tensor", "torchvision decoding and tensor transforms on the CPU")
MODES.add("gpu", "nvjpeg decoding and tensor transforms on CUDA")


def check_decode(name: str, device_type: str | None = None, *, allow_cpu: bool = False) -> None:
    """A known mode (UnknownNameError), and on `device_type` one that can run there: `gpu` needs CUDA unless
    `allow_cpu` (tests)."""
    MODES.get(name)
    if name == "gpu" and device_type is not None and device_type != "cuda" and not allow_cpu:
        raise DataError(f"--decode gpu needs a CUDA device, the run is on {device_type}; --decode tensor runs the same "
                        f"tensor transforms on the CPU")
