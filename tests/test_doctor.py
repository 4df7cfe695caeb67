"""`longbench doctor`: one line per check, exit 0 even when weights or data are missing."""

from __future__ import annotations

from typer.testing import CliRunner

from longbench.adapters import MODELS
from longbench.cli import app
from longbench.doctor import doctor, folder_check
from longbench.tasks import all_tasks, get_task

runner = CliRunner()


def test_doctor_prints_one_line_per_check_and_exits_zero(console_width):
    console_width(300)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(doctor())
    assert all(line.startswith(("✓ ", "✗ ")) for line in lines)
    for name in ("python", "torch", "torchvision", "open_clip", "longbench", "numpy", "device", "cache home",
                 "weights folder", "datasets"):
        assert any(line[2:].startswith(f"{name}: ") for line in lines), name
    assert "✓ model tiny-clip: built in" in result.output


def test_weights_found_locally_turn_a_model_green(tmp_path, monkeypatch):
    spec = next(spec for _, spec in MODELS.items() if spec.build is None and spec.local_filename)
    checks = {c.name: c for c in doctor()}
    assert not checks[f"model {spec.name}"].ok
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(tmp_path / "weights"))
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / spec.local_filename).write_bytes(b"weights")
    check = {c.name: c for c in doctor()}[f"model {spec.name}"]
    assert check.ok and str(tmp_path / "weights" / spec.local_filename) in check.detail


def test_datasets_under_the_data_root(tmp_path):
    get_task("urban1k").write_sample(tmp_path / "Urban1k", 2)
    checks = {c.name: c for c in doctor(tmp_path)}
    assert [name for name in checks if name.startswith("data ")] == [f"data {t.meta.name}" for t in all_tasks()]
    assert not checks["data urban1k"].ok and checks["data urban1k"].detail.startswith("incomplete")
    assert "images 2/1000" in checks["data urban1k"].detail
    assert checks["data coco"].detail.startswith("missing")


def test_folder_check_reports_creatable_and_existing_folders(tmp_path):
    assert folder_check("x", tmp_path).ok
    later = folder_check("x", tmp_path / "a" / "b")
    assert later.ok and "will be created" in later.detail
    (tmp_path / "file").write_text("")
    blocked = folder_check("x", tmp_path / "file" / "sub")
    assert not blocked.ok and "is not a writable folder" in blocked.detail


def test_a_model_whose_hub_file_is_not_named_says_where_to_put_it(tmp_path, monkeypatch):
    """TULIP's repository file names are not recorded: doctor says where the checkpoint goes, not that it downloads."""
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(tmp_path))
    check = {c.name: c for c in doctor()}["model tulip-L"]
    assert not check.ok and str(tmp_path / "tulip-L.pt") in check.detail and "not downloaded" in check.detail
    assert "hf://mderakhshani/TULIP" in check.detail
