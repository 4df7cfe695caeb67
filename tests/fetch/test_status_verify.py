"""`data status` (every task, layout, licence, how to get it) and `data verify` (counts, missing, damaged)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.fetch import data_status, verify_task
from longbench.tasks import all_tasks, get_task

runner = CliRunner()


def _small_urban(n: int):
    """An unregistered Urban1k variant whose expected counts match an n-pair sample (so 'found' is reachable)."""
    base = type(get_task("urban1k"))
    meta = dataclasses.replace(base.meta, name="urban-small", expected={"images": n, "texts": n})
    return type("UrbanSmall", (base,), {"meta": meta})()


def test_status_on_an_empty_root_says_missing_with_the_layout(tmp_path):
    result = runner.invoke(app, ["data", "status", "-d", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│ ") and line.split("│")[1].strip()]
    names = [row.split("│")[1].strip() for row in rows]
    assert names == [task.meta.name for task in all_tasks()]
    assert all(row.split("│")[2].strip() == "missing" for row in rows)
    for task in all_tasks():
        assert task.meta.layout in result.output and task.meta.licence in result.output
    assert "longbench data fetch urban1k" in result.output
    assert "longbench data fetch imagenet` prints the steps" in result.output


def test_status_with_a_sample_counts_what_is_there(tmp_path):
    get_task("urban1k").write_sample(tmp_path / "Urban1k", 3)
    rows = {row.task: row for row in data_status(tmp_path)}
    assert rows["urban1k"].status.state == "incomplete"
    assert rows["urban1k"].status.found == {"images": 3, "texts": 3}
    assert rows["coco"].status.state == "missing"


def test_status_found_when_counts_match(tmp_path):
    small = _small_urban(3)
    small.write_sample(small.root(tmp_path), 3)
    (row,) = data_status(tmp_path, [small])
    assert row.status.state == "found"


def test_verify_complete_then_damaged_then_incomplete(tmp_path):
    small = _small_urban(3)
    root = tmp_path / "Urban1k"
    small.write_sample(root, 3)
    report = verify_task(small, root)
    assert report.state == "complete" and report.ok and report.found == {"images": 3, "texts": 3}
    (root / "image" / "2.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    report = verify_task(small, root)
    assert report.state == "damaged" and len(report.damaged) == 1 and "2.jpg" in report.damaged[0]
    assert verify_task(small, root, decode=False).state == "complete"
    (root / "image" / "2.jpg").unlink()
    report = verify_task(small, root)
    assert report.state == "incomplete" and report.found == {"images": 2, "texts": 2}


def test_verify_cli_exit_codes(tmp_path):
    get_task("urban1k").write_sample(tmp_path / "Urban1k", 3)
    result = runner.invoke(app, ["data", "verify", "urban1k", "-d", str(tmp_path)])
    assert result.exit_code == 1
    assert "urban1k: incomplete 3/1000 images, 3/1000 texts" in result.output
    assert "found {'images': 3, 'texts': 3}" in result.output
    missing = runner.invoke(app, ["data", "verify", "coco", "-d", str(tmp_path)])
    assert missing.exit_code == 1 and "coco: missing" in missing.output
    unknown = runner.invoke(app, ["data", "verify", "urbn1k", "-d", str(tmp_path)])
    assert unknown.exit_code == 2 and "urbn1k" in unknown.output and "Traceback" not in unknown.output
    no_root = runner.invoke(app, ["data", "verify", "urban1k"])
    assert no_root.exit_code == 2 and "--data-root" in no_root.output


def test_verify_cli_complete_exits_zero(tmp_path, monkeypatch):
    small = _small_urban(2)
    small.write_sample(small.root(tmp_path), 2)
    monkeypatch.setattr(sys.modules["longbench.fetch.verify"], "resolve_tasks", lambda name: [small])
    result = runner.invoke(app, ["data", "verify", "urban-small", "-d", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "urban-small: complete 2/2 images, 2/2 texts" in result.output


def test_verify_lists_missing_images(tmp_path):
    root = tmp_path / "coco"
    get_task("coco").write_sample(root, 3)
    first = sorted((root / "val2017").iterdir())[0]
    first.unlink()
    report = verify_task(get_task("coco"), root)
    assert report.state == "incomplete" and report.missing == [first.stem]


def test_verify_classification_arrays(tmp_path):
    root = tmp_path / "cifar10"
    get_task("cifar10").write_sample(root, 12)
    report = verify_task(get_task("cifar10"), root)
    assert report.state == "incomplete" and report.found["images"] == 12 and report.damaged == []


def test_verify_a_fetch_name_checks_its_tasks(tmp_path):
    result = runner.invoke(app, ["data", "verify", "karpathy", "-d", str(tmp_path)])
    assert result.exit_code == 1
    assert "coco-karpathy: missing" in result.output and "flickr30k: missing" in result.output


@pytest.mark.parametrize("command", ["status", "fetch urban1k"])
def test_data_root_is_required(command, tmp_path: Path):
    result = runner.invoke(app, ["data", *command.split()])
    assert result.exit_code == 2 and "no --data-root given" in result.output
