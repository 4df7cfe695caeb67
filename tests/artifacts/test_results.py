"""The versioned result file: round trip, schema checks, upgrades of older versions, atomic writes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from longbench.artifacts.atomic import write_json_atomic
from longbench.artifacts.results import RESULT_SCHEMA, SCHEMA_VERSION, Origin, read_result, write_result
from longbench.errors import SchemaError
from tests.helpers.results import make_result

FIXTURES = Path(__file__).parent.parent / "fixtures" / "results"


def test_round_trip(tmp_path):
    path = write_result(make_result(), tmp_path / "m" / "urban1k.json")
    data = json.loads(path.read_text())
    assert list(data)[0] == "schema_version" and data["kind"] == "retrieval"
    assert read_result(path) == make_result().__class__(**{**make_result().__dict__, "created": data["created"]})


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.update(schema_version=SCHEMA_VERSION + 1), "was written by a newer longbench .* upgrade longbench"),
    (lambda d: d.update(schema_version="2"), "schema_version '2' is not a version number"),
    (lambda d: d.update(schema_version=0), "schema_version 0 is not a version number"),
    (lambda d: d.pop("schema_version"), "schema_version None is not a version number"),
    (lambda d: d.pop("metrics"), "not a valid longbench result"),
    (lambda d: d["model"].update(colour="red"), "unexpected ModelInfo fields"),
    (lambda d: d.update(metrics={"i2t_r1": "high"}), r"metrics\.i2t_r1: expected a number, found 'high'"),
    (lambda d: d["metrics"].update(i2t_r1=150.0), r"metrics\.i2t_r1: expected a percentage from 0 to 100, found 150"),
    (lambda d: d["metrics"].update(t2i_r5=-5), r"metrics\.t2i_r5: expected a percentage from 0 to 100, found -5"),
    (lambda d: d["metrics"].update(i2t_r1=True), r"metrics\.i2t_r1: expected a number, found True"),
    (lambda d: d["metrics"].update(my_score="x"), r"metrics\.my_score: expected a number, found 'x'"),
    (lambda d: d.update(ci={"i2t_r1": [10.0, 101.0]}), r"ci\.i2t_r1: expected a percentage from 0 to 100"),
    (lambda d: d.update(ci={"i2t_r1": [10.0]}), r"ci\.i2t_r1: expected \[low, high\]"),
    (lambda d: d.update(by_length={"<=20": {"n_texts": 3, "t2i_r1": 120.0}}),
     r"by_length\.<=20\.t2i_r1: expected a percentage"),
])
def test_schema_errors_name_the_file(tmp_path, mutate, message):
    data = make_result().to_dict()
    mutate(data)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match=message) as err:
        read_result(path)
    assert str(path) in str(err.value)


def test_not_json(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{nope")
    with pytest.raises(SchemaError, match="not valid JSON"):
        read_result(path)


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    with pytest.raises(TypeError):
        write_json_atomic(tmp_path / "x.json", {"bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_task_version_is_written():
    data = make_result().to_dict()
    assert data["schema_version"] == SCHEMA_VERSION == 3 and data["task"]["task_version"] == 1


@pytest.mark.parametrize("path", sorted((FIXTURES / "v1").rglob("*.json")), ids=lambda p: p.parent.name + "/" + p.name)
def test_version_1_files_are_upgraded_on_read(path):
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 1 and "task_version" not in raw["task"]
    result = read_result(path)
    assert result.schema_version == SCHEMA_VERSION and result.task.task_version == 1
    assert result.metrics == raw["metrics"] and result.created == raw["created"]
    assert result.task.fingerprint == raw["task"]["fingerprint"]
    assert result.model.checkpoint_sha256 == raw["model"]["checkpoint_sha256"]
    upgraded = result.to_dict()
    assert upgraded["schema_version"] == SCHEMA_VERSION
    assert {k: v for k, v in upgraded["task"].items() if k != "task_version"} == raw["task"]


@pytest.mark.parametrize("path", sorted((FIXTURES / "v2").rglob("*.json")), ids=lambda p: p.parent.name + "/" + p.name)
def test_version_2_files_gain_their_origin_and_empty_breakdowns(path):
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 2 and "origin" not in raw
    result = read_result(path)
    assert result.origin == Origin("longbench", raw["environment"]["longbench"], None)
    assert not result.origin.imported and result.breakdowns == {}
    assert result.metrics == raw["metrics"] and result.ci == raw["ci"]
    assert result.to_dict()["schema_version"] == SCHEMA_VERSION


def test_an_imported_origin_round_trips(tmp_path):
    result = make_result()
    result.origin = Origin("clip_benchmark", "1.6.1", "coco_ViT-B-32_openai.json")
    assert result.origin.imported
    assert read_result(write_result(result, tmp_path / "r.json")).origin == result.origin


def test_upgrade_does_not_change_its_argument():
    raw = json.loads((FIXTURES / "v1" / "tiny-clip" / "urban1k.json").read_text())
    before = json.dumps(raw, sort_keys=True)
    assert RESULT_SCHEMA.upgrade(raw)["task"]["task_version"] == 1
    assert json.dumps(raw, sort_keys=True) == before


def test_non_finite_metrics_are_read_as_such(tmp_path):
    """NaN/Inf mean an invalid model output: read, so that the gate fails them as non-finite (not a schema error)."""
    data = make_result().to_dict()
    data["metrics"]["i2t_r1"] = float("nan")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    assert math.isnan(read_result(path).metrics["i2t_r1"])
