"""Data-parallel evaluation under torchrun: which process this is, its share of the work, and gathering it back.

`torchrun --nproc-per-node N -m longbench run ...` starts N processes (ranks) with RANK, WORLD_SIZE, LOCAL_RANK and
the rendezvous address in their environment. Each rank encodes a disjoint share of the batches (NCCL on CUDA,
gloo on the CPU); `Group.gather` puts the shares back together in their original order on every rank, so every
rank computes the same metrics from the same embeddings and rank 0 alone writes and prints. Without torchrun's
variables there is one process and nothing here does anything.

Shares are whole batches, the very batches one process would form, so each embedding comes from the same batch
(same shapes, same neighbours) as in a one-process run: results are identical, not merely close.

Errors: a rank that fails during its share still joins the gather, carrying its error, so every rank stops with it
(`RankError` on the others) instead of waiting. A rank that dies between gathers is torchrun's to notice (it stops
the other ranks); failing that, every collective gives up after `LONGBENCH_DIST_TIMEOUT` seconds (default 1800).
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from .errors import DataError, LongbenchError
from .lazy import torch
from .settings import device_type

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 1800


class RankError(LongbenchError):
    """Another rank failed; this one stops too (exit code: the failing rank's, when it was a LongbenchError)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Group:
    """This process's place among the ranks (one process: rank 0 of 1)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    def share(self, n: int) -> range:
        """This rank's contiguous share of `n` units: sizes differ by at most one, and a rank may get none."""
        return range(n * self.rank // self.world, n * (self.rank + 1) // self.world)

    def place(self, device: str) -> str:
        """The device (a name: settings.resolve_device) this rank works on: its own GPU (cuda:LOCAL_RANK) under
        torchrun, else `device`."""
        if self.world == 1 or device_type(device) != "cuda":
            return device
        if device != "cuda":
            raise DataError(f"--device {device} names one GPU, but {self.world} ranks run: pass --device cuda "
                            f"(each rank then takes cuda:LOCAL_RANK)")
        return f"cuda:{self.local_rank}"

    def gather(self, work: Callable[[], T]) -> list[T]:
        """Every rank's `work()`, in rank order, on every rank; an error on any rank is raised on all of them."""
        if self.world == 1:
            return [work()]
        try:
            outcome = (work(), None)
        except Exception as exc:
            error = exc
            outcome = (None, (str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                              getattr(exc, "exit_code", 2)))
        else:
            error = None
        outcomes: list = [None] * self.world
        try:
            torch.distributed.all_gather_object(outcomes, outcome)
        except RuntimeError as exc:  # a timeout or a lost peer
            raise RankError(f"rank {self.rank}: lost contact with the other ranks ({str(exc).splitlines()[0]})"
                            ) from None
        if error is not None:
            raise error
        for rank, (_, failure) in enumerate(outcomes):
            if failure is not None:
                raise RankError(f"rank {rank} failed: {failure[0]}", failure[1])
        return [value for value, _ in outcomes]

    def from_main(self, work: Callable[[], T]) -> T:
        """Rank 0's `work()`, on every rank (the others do not run it): one decision that all ranks follow."""
        return self.gather(work if self.main else lambda: None)[0]

    def all(self, flag: bool) -> bool:
        """True on every rank when `flag` is true on every rank (e.g. all ranks found a cache entry)."""
        return all(self.gather(lambda: flag))


def current() -> Group:
    """The group torchrun's environment describes (one process when WORLD_SIZE is unset)."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise DataError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (as torchrun sets them)") from None
    if not 0 <= rank < world:
        raise DataError(f"RANK={rank} is outside WORLD_SIZE={world}")
    return Group(rank, world, local)


def join(device: str) -> Group:
    """This process's group, its process group started on first use: NCCL for a CUDA `device` (a name), gloo
    otherwise. One process imports no torch.distributed."""
    group = current()
    if group.world > 1 and not torch.distributed.is_initialized():
        placed = group.place(device)
        cuda = placed.startswith("cuda")
        if cuda:
            torch.cuda.set_device(torch.device(placed))
        timeout = timedelta(seconds=float(os.environ.get("LONGBENCH_DIST_TIMEOUT", DEFAULT_TIMEOUT_S)))
        torch.distributed.init_process_group("nccl" if cuda else "gloo", timeout=timeout,
                                             rank=group.rank, world_size=group.world)
        atexit.register(torch.distributed.destroy_process_group)
    return group
