"""The probe file: what `longbench probe` measured, as a versioned JSON document and a CSV beside it.

Layout: `<output>/<model>/probe-<task>-<unit>.json` (+ `.csv`, and `.png` where the caller draws the plot: the
library writes data, never pictures). Schema version 2:

    {
      "schema_version": 2, "kind": "probe",
      "model": {...ModelInfo}, "task": name, "unit": "tokens" | "words", "tolerance": points,
      "points": [{"length": N, <recall>: .., ..., "n_cut": .., "mean_tokens": ..}, ...],
      "full": {<recall>: .., ...}, "effective_length": {<direction>: N | null}, "plateau_length": {...},
      "effective_length_ci": {<direction>: [low, high]} | null,
      "settings", "environment", "n_images", "n_texts", "fingerprint", "timings", "skipped", "warnings", "created"
    }

`warnings` (version 2) are the task loader's, as a result file records them (empty captions, a partial copy...).
Read through PROBE_SCHEMA like result files: older versions upgraded, newer ones refused (schema.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.paths import require_regular_file
from ..errors import SchemaError
from ..metrics.registry import DIRECTIONS, recall_name
from ..provenance import ModelInfo
from .atomic import write_json_atomic, write_text_atomic
from .schema import DocumentSchema
from .store import result_path

#: 1 -> 2: the loader's warnings (a version-1 file recorded none, so it reads as none).
PROBE_SCHEMA = DocumentSchema("probe", 2, {1: lambda d: {**d, "warnings": []}})
KIND = "probe"
#: Probe files are told from result files by this file-name prefix.
PREFIX = "probe-"
#: tokens: SOT + the first N-2 tokens + EOT; words: the first N words, then tokenized at the model's context.
UNITS = ("tokens", "words")


@dataclass
class ProbeResult:
    """One probe file's content (module doc)."""

    model: ModelInfo
    task: str
    unit: str
    tolerance: float
    points: list[dict[str, float]]
    full: dict[str, float]
    effective_length: dict[str, int | None]
    plateau_length: dict[str, int | None]
    settings: dict[str, Any]
    environment: dict[str, str]
    n_images: int
    n_texts: int
    fingerprint: str
    timings: dict[str, float] = field(default_factory=dict)
    effective_length_ci: dict[str, list[int | None]] | None = None
    skipped: list[str] = field(default_factory=list)
    #: The task loader's warnings (and the task's own), as `run` records them in a result's task.warnings.
    warnings: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        # Version and kind first, so that a reader sees what the file is at once.
        return {"schema_version": PROBE_SCHEMA.version, "kind": KIND, **asdict(self)}

    def frame(self) -> pd.DataFrame:
        """One row per probed length, with the model, task and unit, so that several probes' CSVs concatenate."""
        frame = pd.DataFrame(self.points)
        frame.insert(0, "unit", self.unit)
        frame.insert(0, "task", self.task)
        frame.insert(0, "model", self.model.name)
        return frame


@dataclass
class ProbeFiles:
    json: Path
    csv: Path
    #: Where a caller draws the plot (report/probe_plot.py); the library does not write it.
    png: Path


def probe_paths(output: Path, model_name: str, task: str, unit: str) -> ProbeFiles:
    """`<output>/<model>/probe-<task>-<unit>.json` and the .csv/.png beside it."""
    path = result_path(output, model_name, f"{PREFIX}{task}-{unit}")
    return ProbeFiles(json=path, csv=path.with_suffix(".csv"), png=path.with_suffix(".png"))


def write_probe(result: ProbeResult, output: Path) -> ProbeFiles:
    """Write the CSV, then the JSON (atomically each; readers look for the JSON)."""
    files = probe_paths(output, result.model.name, result.task, result.unit)
    write_text_atomic(files.csv, result.frame().to_csv(index=False))
    write_json_atomic(files.json, result.to_dict())
    return files


def read_probe_document(path: Path) -> dict[str, Any]:
    """A probe file's content as a current-version document, checked for the fields readers use (SchemaError)."""
    require_regular_file(path, "probe file", SchemaError)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: probe file not found") from None
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read the probe file: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SchemaError(f"{path}: expected a JSON object, found {type(data).__name__}")
    data = PROBE_SCHEMA.upgrade(data, str(path))
    if data.get("kind") != KIND:
        raise SchemaError(f"{path}: expected kind {KIND!r} in a {PREFIX}*.json file, found {data.get('kind')!r}")
    try:
        _ = data["model"]["name"], data["model"]["context_length"], data["task"]
        unit, length = data["unit"], data["effective_length"]
        _ = [(p["length"], *(p[recall_name(d, 1)] for d in DIRECTIONS)) for p in data["points"]]
        lengths = [length[d] for d in DIRECTIONS]
    except (KeyError, TypeError) as exc:
        raise SchemaError(f"{path}: not a valid longbench probe file (missing {exc})") from None
    if unit not in UNITS:
        raise SchemaError(f"{path}: probe unit {unit!r} is not one of {', '.join(UNITS)}")
    for direction, value in zip(DIRECTIONS, lengths, strict=True):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise SchemaError(f"{path}: effective_length.{direction} must be an integer or null, found {value!r}")
    return data
