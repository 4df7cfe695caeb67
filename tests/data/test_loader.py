"""`--workers auto` and `--batch-size auto`: what they resolve to per device, job size and machine."""

from __future__ import annotations

from collections import namedtuple

import pytest

from longbench.data import loader
from longbench.data.loader import parse_count, resolve_batch_size, resolve_workers
from longbench.errors import DataError

CPU, CUDA = "cpu", "cuda"  # device types
Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def big_shm(monkeypatch):
    monkeypatch.setattr(loader.shutil, "disk_usage", lambda path: Usage(64 << 30, 0, 64 << 30))


def test_auto_batch_is_larger_on_accelerators():
    assert resolve_batch_size("auto", CPU) == 64
    assert resolve_batch_size("auto", CUDA) == 256
    assert resolve_batch_size("auto", "mps") == 128
    assert resolve_batch_size(7, CUDA) == 7


def test_auto_workers_zero_on_two_cores_or_a_small_job(big_shm):
    assert resolve_workers("auto", 5000, 256, CUDA, cores=2) == 0
    assert resolve_workers("auto", 100, 64, CUDA, cores=16) == 0


def test_auto_workers_share_of_the_cores(big_shm):
    assert resolve_workers("auto", 5000, 256, CUDA, cores=16) == 15  # the main process only feeds the GPU
    assert resolve_workers("auto", 5000, 64, CPU, cores=16) == 8  # the forward needs cores too
    assert resolve_workers("auto", 5000, 256, CUDA, cores=64) == loader.MAX_WORKERS
    assert resolve_workers("auto", 300, 256, CUDA, cores=16) == 2  # no more workers than batches


def test_auto_workers_fit_shared_memory(monkeypatch):
    monkeypatch.setattr(loader.shutil, "disk_usage", lambda path: Usage(64 << 20, 0, 64 << 20))  # docker's 64 MB
    assert resolve_workers("auto", 5000, 256, CUDA, cores=16) == 0


def test_a_given_count_is_kept():
    assert resolve_workers(3, 10, 64, CPU, cores=2) == 3
    assert resolve_workers("0", 10_000, 64, CUDA, cores=64) == 0


@pytest.mark.parametrize("value,option,minimum", [("x", "--workers", 0), (-1, "--workers", 0), ("0", "--batch-size", 1),
                                                  ("2.5", "--batch-size", 1)])
def test_bad_counts_name_the_option(value, option, minimum):
    with pytest.raises(DataError, match=rf"^{option} .*expected auto or a whole number >= {minimum}"):
        parse_count(value, option, minimum)


def test_auto_is_auto():
    assert parse_count(" AUTO ", "--workers", 0) == "auto"
    assert parse_count(4, "--workers", 0) == 4
