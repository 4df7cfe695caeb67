"""Run settings: the device, dtype, batch size, image workers and decoding a run uses, resolved once.

What a user asks for (`--device auto`, `--batch-size auto`, `--precision auto`, ...) is checked where it is given
(`check_settings`: a bad value fails before any loading) and resolved once per run (`RunSettings.resolve`); the
encoder, the evaluators and the result's `environment` read the resolved values.

Workers stay `auto` until an image pass knows its size: how many decoding processes pay off depends on how many
images it decodes (data/loader.resolve_workers), and the result records the count used.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .data.decode_modes import check_decode
from .data.loader import AUTO, parse_count, resolve_batch_size
from .errors import DataError

PRECISIONS = (AUTO, "fp32", "fp16", "bf16")
_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def check_settings(precision: str, batch_size: int | str, workers: int | str, decode: str) -> None:
    """Refuse a bad precision, batch size, worker count or decoding mode (DataError / UnknownNameError)."""
    if precision not in PRECISIONS:
        raise DataError(f"unknown precision {precision!r} (expected one of {', '.join(PRECISIONS)})")
    parse_count(batch_size, "--batch-size", 1)
    parse_count(workers, "--workers", 0)
    check_decode(decode)


def resolve_device(device: str | None) -> torch.device:
    """`auto` (or None): CUDA, else MPS, else the CPU; a named device must be present."""
    if device in (None, AUTO):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise DataError(f"unknown device {device!r} (expected cpu, cuda, cuda:N, mps or auto)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DataError(f"device {device!r} asked for, but torch sees no CUDA device")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise DataError(f"device {device!r} asked for, but torch sees no MPS device")
    return dev


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """`auto` is fp16 autocast on CUDA (what CLIP evaluations use there) and fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise DataError(f"unknown precision {precision!r} (expected one of {', '.join(PRECISIONS)})")
    if precision == AUTO:
        return torch.float16 if device.type == "cuda" else torch.float32
    return _DTYPES[precision]


@dataclass(frozen=True)
class RunSettings:
    device: torch.device
    dtype: torch.dtype
    batch_size: int
    #: A number, or "auto": resolved per image pass (module doc).
    workers: int | str
    #: An image decoding mode (data/decode_modes.py: pil, tensor, gpu).
    decode: str

    @classmethod
    def resolve(cls, device: torch.device | str | None = AUTO, precision: str = AUTO,
                batch_size: int | str = AUTO, workers: int | str = AUTO, decode: str = "pil") -> RunSettings:
        """What a run uses for what was asked (`device` may be resolved already: a torchrun rank's own device)."""
        check_settings(precision, batch_size, workers, decode)
        dev = device if isinstance(device, torch.device) else resolve_device(device)
        return cls(dev, resolve_dtype(precision, dev), resolve_batch_size(batch_size, dev),
                   parse_count(workers, "--workers", 0), decode)
