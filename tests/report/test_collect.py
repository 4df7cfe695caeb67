"""Loading result and probe files: routing, deduplication, schema refusal, the frame."""

from __future__ import annotations

import json

import pytest

from longbench.artifacts.probes import PROBE_SCHEMA
from longbench.errors import DataError, SchemaError
from longbench.report import load_results, results_frame
from tests.helpers.results import IMPORTED_FROM, retrieval


def test_loads_results_and_routes_probes(tmp_path, write, write_probe):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    write("r", "clip-B", "imagenet", {"acc1": 68.0, "acc5": 90.0})
    write_probe("r", "clip-B", "urban1k", "tokens", 30, None)
    loaded = load_results(tmp_path / "r")
    assert [r.key for r in loaded.results] == [("clip-B", "imagenet"), ("clip-B", "urban1k")]
    assert [(p.model, p.task, p.unit, p.i2t, p.t2i) for p in loaded.probes] == [
        ("clip-B", "urban1k", "tokens", 30, None)
    ]
    assert loaded.probes[0].path == "clip-B/probe-urban1k-tokens.json"


def test_frame_has_one_row_per_model_and_task_with_metrics(tmp_path, write):
    write("r", "b-model", "urban1k", retrieval(60.0, 50.0))
    write("r", "a-model", "imagenet", {"acc1": 68.0})
    frame = results_frame(load_results(tmp_path / "r"))
    assert list(frame["model"]) == ["a-model", "b-model"]
    assert {"protocol", "i2t_r1", "t2i_r10", "acc1", "path"} <= set(frame.columns)
    assert frame.loc[1, "i2t_r1"] == 60.0 and frame.loc[1, "path"] == "b-model/urban1k.json"


def test_newest_created_wins_across_directories(tmp_path, write):
    write("old", "clip-B", "urban1k", retrieval(10.0, 10.0), created="2024-01-01T00:00:00+00:00")
    write("new", "clip-B", "urban1k", retrieval(20.0, 20.0), created="2024-02-01T00:00:00+00:00")
    for order in ([tmp_path / "old", tmp_path / "new"], [tmp_path / "new", tmp_path / "old"]):
        loaded = load_results(order)
        assert [r.result.metrics["i2t_r1"] for r in loaded.results] == [20.0]
        assert loaded.superseded == [("old/clip-B/urban1k.json", "new/clip-B/urban1k.json")]


def test_unknown_result_schema_version_is_refused(tmp_path, write):
    path = write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match=r"urban1k\.json: result schema_version 99 was written by a newer longbench"):
        load_results(tmp_path / "r")


def test_unknown_probe_schema_version_is_refused(tmp_path, write_probe):
    newer, current = PROBE_SCHEMA.version + 1, PROBE_SCHEMA.version
    write_probe("r", "clip-B", "urban1k", "words", 30, 40, version=newer)
    with pytest.raises(SchemaError, match=rf"probe-urban1k-words\.json: probe schema_version {newer} was written by "
                                          rf"a newer longbench \(this one reads versions 1 to {current}\)"):
        load_results(tmp_path / "r")


def test_bad_probe_unit_is_refused(tmp_path, write_probe):
    write_probe("r", "clip-B", "urban1k", "chars", 30, 40)
    with pytest.raises(SchemaError, match="probe unit 'chars'"):
        load_results(tmp_path / "r")


def test_missing_directory_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such result file or directory"):
        load_results(tmp_path / "nowhere")


def test_probe_records_carry_their_curve_and_file(tmp_path, write_probe):
    path = write_probe("r", "clip-B", "urban1k", "tokens", 30, None)
    probe = load_results(tmp_path / "r").probes[0]
    assert probe.file == path
    assert probe.curve.lengths == (10.0,) and probe.curve.recall == {"i2t": (1.0,), "t2i": (2.0,)}
    assert probe.curve.context_length == 77 and probe.curve.full == {}


def test_a_probe_curve_that_is_not_numbers_is_refused_naming_the_file(tmp_path, write_probe):
    path = write_probe("r", "clip-B", "urban1k", "tokens", 30, None)
    data = json.loads(path.read_text())
    data["points"][0]["i2t_r1"] = "high"
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match="probe-urban1k-tokens.json: not a valid longbench probe file"):
        load_results(tmp_path / "r")


def test_result_records_keep_the_file_they_were_read_from(tmp_path, write):
    path = write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    assert load_results(tmp_path / "r").results[0].file == path


def test_an_imported_result_and_a_measured_one_of_the_same_model_and_task_are_both_kept(tmp_path, write):
    """Neither supersedes the other (whichever is newer): the leaderboard shows both, marked."""
    write("a", "clip-B", "urban1k", retrieval(60.0, 50.0), created="2024-01-01T00:00:00+00:00")
    write("b", "clip-B", "urban1k", retrieval(70.0, 60.0), created="2025-01-01T00:00:00+00:00",
          origin=IMPORTED_FROM)
    results = load_results([tmp_path / "a", tmp_path / "b"])
    assert [(r.path, r.imported) for r in results.results] == [("a/clip-B/urban1k.json", False),
                                                                ("b/clip-B/urban1k.json", True)]
    assert results.superseded == [] and [r.path for r in results.measured] == ["a/clip-B/urban1k.json"]
