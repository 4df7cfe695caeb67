"""One upgrade chain for every versioned document (result files and probe files)."""

from __future__ import annotations

import json

import pytest

from longbench.artifacts.probes import PROBE_SCHEMA, read_probe_document
from longbench.artifacts.results import RESULT_SCHEMA
from longbench.artifacts.schema import DocumentSchema
from longbench.errors import SchemaError


def test_steps_run_in_turn_up_to_the_current_version():
    schema = DocumentSchema("thing", 3, {1: lambda d: {**d, "a": 1}, 2: lambda d: {**d, "b": d["a"] + 1}})
    assert schema.upgrade({"schema_version": 1}) == {"schema_version": 3, "a": 1, "b": 2}
    assert schema.upgrade({"schema_version": 3, "c": 0}) == {"schema_version": 3, "c": 0}


def test_a_missing_step_is_a_programming_error_at_definition():
    with pytest.raises(ValueError, match=r"no upgrade step from version\(s\) \[2\]"):
        DocumentSchema("thing", 3, {1: dict})


@pytest.mark.parametrize("version", [None, "1", True, 0, -1, 1.0])
def test_a_version_that_is_not_a_number_is_refused(version):
    with pytest.raises(SchemaError, match=r"src: thing schema_version .* is not a version number"):
        DocumentSchema("thing", 1).upgrade({"schema_version": version}, "src")


def test_results_and_probes_share_the_mechanism():
    assert isinstance(RESULT_SCHEMA, DocumentSchema) and isinstance(PROBE_SCHEMA, DocumentSchema)
    assert (RESULT_SCHEMA.what, PROBE_SCHEMA.what) == ("result", "probe")


def test_a_probe_file_with_a_string_version_is_refused(tmp_path):
    path = tmp_path / "probe-x-tokens.json"
    path.write_text(json.dumps({"schema_version": "1", "kind": "probe"}))
    with pytest.raises(SchemaError, match="probe schema_version '1' is not a version number"):
        read_probe_document(path)


def test_a_version_1_probe_file_reads_with_no_warnings(tmp_path):
    path = tmp_path / "probe-x-tokens.json"
    path.write_text(json.dumps({"schema_version": 1, "kind": "probe", "model": {"name": "m", "context_length": 77},
                                "task": "x", "unit": "tokens", "points": [],
                                "effective_length": {"i2t": None, "t2i": None}}))
    data = read_probe_document(path)
    assert data["schema_version"] == PROBE_SCHEMA.version and data["warnings"] == []
