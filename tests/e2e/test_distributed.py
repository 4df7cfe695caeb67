"""torchrun data parallelism: 2 gloo ranks on the CPU give the one-process results exactly, and only rank 0 writes.

Each test starts `torchrun --standalone --nproc-per-node 2 -m longbench ...` as a subprocess (about 10-20 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from longbench.datasets import LoadOptions
from longbench.distributed import Group
from longbench.runner import RunConfig, run
from longbench.tasks import get_task
from tests.helpers.samples import write_samples

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
            "-m", "longbench"]


def torchrun(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LONGBENCH_DIST_TIMEOUT": "60", "COLUMNS": "200"}
    return subprocess.run([*TORCHRUN, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.parametrize("n,world", [(10, 2), (7, 3), (1, 2), (0, 2), (5, 5), (3, 8)])
def test_shares_are_disjoint_contiguous_and_balanced(n, world):
    shares = [Group(rank, world).share(n) for rank in range(world)]
    assert [i for share in shares for i in share] == list(range(n))
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    for name in ("coco", "urban1k", "cifar10"):
        get_task(name).write_sample(get_task(name).root(root), 10, seed=2)
    coco = get_task("coco").load(get_task("coco").root(root), LoadOptions())
    Path(coco.images[7]).write_bytes(b"not an image")  # in rank 1's share with batch size 4
    return root


@pytest.fixture
def one_thread():
    """torchrun gives each rank OMP_NUM_THREADS=1; CPU sums depend on the thread count (tiny-clip's 5-token
    captions have near-ties that two threads break otherwise), so the one-process reference uses one thread too."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def comparable(path: Path) -> dict:
    data = json.loads(path.read_text())
    for volatile in ("created", "timings", "environment"):
        data.pop(volatile)
    return data


@pytest.mark.slow  # torchrun
def test_two_ranks_equal_one_process_and_only_rank_0_writes(data_root, tmp_path, one_thread):
    """Batch size 4: 10 coco images are 3 batches (ranks get 1 and 2), the bad 8th image is rank 1's to skip;
    49 captions are 13 batches (6 and 7)."""
    out = tmp_path / "dp"
    done = torchrun("run", "-m", "tiny-clip", "-t", "coco,cifar10", "-d", str(data_root), "-o", str(out),
                    "-b", "4", "-q", "--skip-bad-images", "--bootstrap", "10")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("wrote ") == 2, done.stdout  # rank 0's two lines, nothing from rank 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "tiny-clip/cifar10.json", "tiny-clip/coco.json"]
    cache = Path(os.environ["LONGBENCH_CACHE"]) / "classifiers"
    assert len(list(cache.glob("*.npy"))) == 1  # the zero-shot classifier, written once

    single = run("tiny-clip", "coco,cifar10", RunConfig(data_root=data_root, output=tmp_path / "one", batch_size=4,
                                                      skip_bad_images=True, bootstrap=10, progress=False,
                                                      cache_dir=tmp_path / "cache"))
    for one in single:
        assert comparable(out / "tiny-clip" / f"{one.task}.json") == comparable(one.path), one.task
    coco = json.loads((out / "tiny-clip" / "coco.json").read_text())
    assert coco["task"]["n_images"] == 9 and len(coco["task"]["skipped"]) == 1


@pytest.mark.slow  # torchrun
def test_probe_with_a_rank_that_has_no_images(data_root, tmp_path, one_thread):
    """Batch size 64: urban1k's 10 images and captions are one batch each, so rank 1 encodes nothing."""
    out = tmp_path / "dp"
    done = torchrun("probe", "-m", "tiny-clip", "-t", "urban1k", "-d", str(data_root), "-o", str(out), "-q",
                    "--lengths", "5,20")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("wrote ") == 3, done.stdout
    from longbench.probe import probe

    single = probe("tiny-clip", "urban1k", RunConfig(data_root=data_root, progress=False), lengths=[5, 20])
    written = json.loads((out / "tiny-clip" / "probe-urban1k-tokens.json").read_text())
    assert written["points"] == single.points and written["full"] == single.full


@pytest.mark.slow  # torchrun
def test_a_failing_rank_stops_every_rank_with_its_error(data_root, tmp_path):
    out = tmp_path / "dp"
    done = torchrun("run", "-m", "tiny-clip", "-t", "coco", "-d", str(data_root), "-o", str(out), "-b", "4", "-q",
                    timeout=200)
    assert done.returncode != 0
    # rank 1 met the bad image; rank 0, which decoded its own share fine, names rank 1's error
    assert "rank 1 failed: cannot decode image" in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all("cannot decode image" in line for line in errors)
    assert "encode.py" not in done.stderr  # one line per rank, no traceback of ours (torchrun adds its own summary)
    assert not out.exists() or not list(out.rglob("*.json"))


def test_webdataset_shards_under_two_ranks_equal_one_process(tmp_path, one_thread):
    """Batch size 3: 9 samples over two shards (5 and 4) are 3 image batches, rank 0 encoding the first (three of
    shard 0's images) and rank 1 the other two (the rest of shard 0, and shard 1), each reading its own members."""
    from longbench.tasks.webdataset import write_shards

    write_shards(tmp_path / "ret", 9, "retrieval", seed=4)
    write_shards(tmp_path / "cls", 9, "classification", seed=4)
    spec = f"wds:{tmp_path / 'ret'},wds:{tmp_path / 'cls'}"
    out = tmp_path / "dp"
    done = torchrun("run", "-m", "tiny-clip", "-t", spec, "-o", str(out), "-b", "3", "-q")
    assert done.returncode == 0, done.stderr[-3000:]
    single = run("tiny-clip", spec, RunConfig(output=tmp_path / "one", batch_size=3, progress=False,
                                              cache_dir=tmp_path / "cache"))
    assert [one.task for one in single] == ["ret", "cls"]
    for one in single:
        assert comparable(out / "tiny-clip" / f"{one.task}.json") == comparable(one.path), one.task


@pytest.mark.slow  # torchrun
@pytest.mark.usefixtures("one_thread")
def test_winoground_two_ranks_equal_one_process(tmp_path):
    """torchrun: 2 ranks share Winoground's 12 images (batch size 4: 3 batches) and its 12 captions; rank 0 writes
    the same result one process writes."""
    data = write_samples(tmp_path / "data", "winoground", 6, seed=1)
    done = torchrun("run", "-m", "tiny-clip", "-t", "winoground", "-d", str(data), "-o", str(tmp_path / "dp"),
                    "-b", "4", "-q", "--bootstrap", "20", "--no-cache")
    assert done.returncode == 0, done.stderr[-3000:]
    single = run("tiny-clip", "winoground", RunConfig(data_root=data, output=tmp_path / "one", batch_size=4,
                                                      bootstrap=20, progress=False, cache=False))[0]
    assert comparable(tmp_path / "dp" / "tiny-clip" / "winoground.json") == comparable(single.path)
