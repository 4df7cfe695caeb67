"""`longbench results`: the table and its csv/json/markdown exports."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from longbench.artifacts.results import SCHEMA_VERSION
from longbench.cli import app
from tests.helpers.results import retrieval

runner = CliRunner()


def test_prints_table_and_exports_csv_json_markdown(tmp_path, write, write_probe, console_width):
    console_width(160)
    write("r", "clip-B", "urban1k", retrieval(60.5, 50.25))
    write("r", "clip-B", "imagenet", {"acc1": 68.0})
    write_probe("r", "clip-B", "urban1k", "tokens", 30, 40)
    out = {fmt: tmp_path / f"table.{fmt}" for fmt in ("csv", "json", "markdown")}
    args = ["results", "--results", str(tmp_path / "r")]
    result = runner.invoke(app, args + [a for fmt, path in out.items() for a in (f"--{fmt}", str(path))])
    assert result.exit_code == 0, result.output
    assert "retrieval results" in result.output and "classification results" in result.output
    assert "60.50" in result.output and "Effective length" in result.output

    frame = pd.read_csv(out["csv"])
    assert list(frame["task"]) == ["imagenet", "urban1k"] and frame.loc[1, "t2i_r1"] == 50.25
    records = json.loads(out["json"].read_text())
    assert records[0]["acc1"] == 68.0 and records[0]["i2t_r1"] is None and records[1]["path"] == "clip-B/urban1k.json"
    lines = out["markdown"].read_text().splitlines()
    assert lines[0].startswith("| model | task |") and "| urban1k |" in lines[3]


def test_unknown_schema_version_exits_2_with_a_clear_message(tmp_path, write):
    path = write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    newer = SCHEMA_VERSION + 1
    path.write_text(path.read_text().replace(f'"schema_version": {SCHEMA_VERSION}', f'"schema_version": {newer}'))
    result = runner.invoke(app, ["results", "--results", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert (f"result schema_version {newer} was written by a newer longbench (this one reads versions 1 to "
            f"{SCHEMA_VERSION})") in result.output
    assert "Traceback" not in result.output


def test_empty_directory_exits_2(tmp_path):
    (tmp_path / "r").mkdir()
    result = runner.invoke(app, ["results", "--results", str(tmp_path / "r")])
    assert result.exit_code == 2 and "no result files found" in result.output
