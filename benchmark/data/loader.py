"""How images are fed to the model: `--workers auto` and `--batch-size auto`, resolved per device and job.

Measured on a 2-core CPU (docs/performance.md, "Defaults"): a worker process decodes no faster than the main process
when the model's forward needs the same two cores, and its start-up (fork, first batch) is pure cost on a small job,
so `auto` is 0 workers there. On an accelerator the main process only feeds the device and every other
core can decode; on a CPU device the forward needs the cores too, so decoding gets half of them.
"""

from __future__ import annotations

import math
import os
import shutil

from ..errors import DataError

AUTO = "auto"
#: Below this many images a worker's start-up costs more than the decoding it takes over.
MIN_IMAGES_FOR_WORKERS = 256
#: More decoders than this rarely pays: the model (or the host-to-device copy) is then the bottleneck.
MAX_WORKERS = 16
#: Batches each worker decodes ahead of the model (torch's default).
PREFETCH = 2
#: Bytes of one preprocessed 224-px float32 image: what a prefetched batch holds in shared memory per image.
IMAGE_BYTES = 3 * 224 * 224 * 4
#: Per device type: large enough to keep an accelerator busy; 64 on CPU, where larger batches gain nothing.
AUTO_BATCH = {"cuda": 256, "mps": 128}
CPU_BATCH = 64


def parse_count(text: str | int, option: str, minimum: int) -> int | str:
    """`auto` or a whole number >= `minimum`; anything else is a one-line error naming the option."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str) and text.strip().lower() == AUTO:
        return AUTO
    else:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise DataError(f"{option} {text!r}: expected auto or a whole number >= {minimum}") from None
    if value < minimum:
        raise DataError(f"{option} {value}: expected auto or a whole number >= {minimum}")
    return value


def available_cores() -> int:
    """Cores this process may run on (a container's or taskset's share, not the whole machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def resolve_batch_size(value: int | str, device_type: str) -> int:
    """`auto` for a device of `device_type` (cpu, cuda, mps), or the number given."""
    value = parse_count(value, "--batch-size", 1)
    return AUTO_BATCH.get(device_type, CPU_BATCH) if value == AUTO else value


def resolve_workers(value: int | str, n_images: int, batch_size: int, device_type: str,
                    cores: int | None = None) -> int:
    """The decoding worker processes for a job of `n_images` (module doc); a number given is kept as is."""
    value = parse_count(value, "--workers", 0)
    if value != AUTO:
        return value
    cores = available_cores() if cores is None else cores
    if cores <= 2 or n_images < MIN_IMAGES_FOR_WORKERS:
        return 0
    share = cores - 1 if device_type in ("cuda", "mps") else cores // 2
    return max(0, min(share, MAX_WORKERS, math.ceil(n_images / batch_size), _shared_memory_cap(batch_size)))


def _shared_memory_cap(batch_size: int) -> int:
    """Workers whose prefetched batches fit in half of /dev/shm (containers often have 64 MB: a bus error)."""
    try:
        free = shutil.disk_usage("/dev/shm").free
    except OSError:
        return MAX_WORKERS  # no /dev/shm (macOS, Windows): torch uses other shared memory there
    return int(free // 2 // (PREFETCH * batch_size * IMAGE_BYTES))
