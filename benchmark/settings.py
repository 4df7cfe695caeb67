"""Run settings: the device, dtype, batch size, image workers and decoding a run uses, resolved once.

What a user asks for (`--device auto`, `--batch-size auto`, `--precision auto`, ...) is checked where it is given
(`check_settings`: a bad value fails before any loading) and resolved once per run (`RunSettings.resolve`); the
encoder, the evaluators and the result's `environment` read the resolved values.

Workers stay `auto` until an image pass knows its size: how many decoding processes pay off depends on how many
images it decodes (data/loader.resolve_workers), and the result records the count used.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .data.decode_modes import check_decode
from .data.loader import AUTO, parse_count, resolve_batch_size
from .errors import DataError
from .lazy import torch

if TYPE_CHECKING:
    import torch as torch_types

PRECISIONS = (AUTO, "fp32", "fp16", "bf16")
#: Each precision's torch dtype, by name (the result's `dtype`; `torch.<name>` is the dtype itself).
DTYPE_NAMES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
#: Device files without which no accelerator torch supports can be present on Linux: NVIDIA's (CUDA), AMD's
#: (ROCm, which torch also calls cuda) and WSL's GPU bridge.
ACCELERATOR_FILES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


def check_settings(precision: str, batch_size: int | str, workers: int | str, decode: str) -> None:
    """Refuse a bad precision, batch size, worker count or decoding mode (DataError / UnknownNameError)."""
    if precision not in PRECISIONS:
        raise DataError(f"unknown precision {precision!r} (expected one of {', '.join(PRECISIONS)})")
    parse_count(batch_size, "--batch-size", 1)
    parse_count(workers, "--workers", 0)
    check_decode(decode)


def resolve_device(device: str | None) -> str:
    """The device's name (`cpu`, `cuda`, `cuda:N`, `mps`): `auto` (or None) is CUDA, else MPS, else the CPU; a named
    device must be present. The CPU is known without importing torch: asked for, or `auto` on a machine that
    cannot have an accelerator (`accelerator_possible`)."""
    if device in (None, AUTO):
        if not accelerator_possible():
            return "cpu"
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    if device == "cpu":
        return device
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise DataError(f"unknown device {device!r} (expected cpu, cuda, cuda:N, mps or auto)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DataError(f"device {device!r} asked for, but torch sees no CUDA device")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise DataError(f"device {device!r} asked for, but torch sees no MPS device")
    return str(dev)


def accelerator_possible() -> bool:
    """False where torch can see no accelerator whatever it is asked: Linux without NVIDIA's, AMD's or WSL's device
    files. Elsewhere (macOS: MPS; Windows) only torch knows."""
    return not sys.platform.startswith("linux") or any(Path(path).exists() for path in ACCELERATOR_FILES)


def device_type(name: str) -> str:
    """`cuda` of `cuda:1`: what the device's kind decides (defaults, autocast, cache keys)."""
    return name.split(":", 1)[0]


def resolve_precision(precision: str, device: str) -> str:
    """`auto` is fp16 autocast on CUDA (what CLIP evaluations use there) and fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise DataError(f"unknown precision {precision!r} (expected one of {', '.join(PRECISIONS)})")
    if precision == AUTO:
        return "fp16" if device_type(device) == "cuda" else "fp32"
    return precision


@dataclass(frozen=True)
class RunSettings:
    """Names only (no torch object), so a run that finds everything cached never imports torch; `device` and
    `dtype` make the torch objects when something is computed."""

    #: `cpu`, `cuda`, `cuda:N` or `mps`.
    device_name: str
    #: fp32, fp16 or bf16 (`auto` resolved).
    precision: str
    batch_size: int
    #: A number, or "auto": resolved per image pass (module doc).
    workers: int | str
    #: An image decoding mode (data/decode_modes.py: pil, tensor, gpu).
    decode: str

    @property
    def device_type(self) -> str:
        return device_type(self.device_name)

    @property
    def dtype_name(self) -> str:
        """The torch dtype's name: float32, float16 or bfloat16."""
        return DTYPE_NAMES[self.precision]

    @functools.cached_property
    def device(self) -> torch_types.device:
        return torch.device(self.device_name)

    @functools.cached_property
    def dtype(self) -> torch_types.dtype:
        return getattr(torch, self.dtype_name)

    @classmethod
    def resolve(cls, device: str | None = AUTO, precision: str = AUTO, batch_size: int | str = AUTO,
                workers: int | str = AUTO, decode: str = "pil", *, resolved: bool = False) -> RunSettings:
        """What a run uses for what was asked; `resolved`: `device` is a device's name already (a torchrun rank's
        own device)."""
        check_settings(precision, batch_size, workers, decode)
        name = device if resolved and device is not None else resolve_device(device)
        return cls(name, resolve_precision(precision, name), resolve_batch_size(batch_size, device_type(name)),
                   parse_count(workers, "--workers", 0), decode)
