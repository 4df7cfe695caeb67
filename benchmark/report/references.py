"""Reported reference numbers (papers, re-evaluations), shipped as resources/references.json.

These are numbers others REPORTED; the leaderboard shows them apart from what longbench measured. Each value is
keyed by the longbench task whose protocol it was reported under, and each row names the longbench model it
corresponds to, so that a measured row of that model and task can be compared with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..data.paths import require_regular_file
from ..errors import SchemaError

REFERENCES_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ReferenceRow:
    model: str  # the longbench model name the row corresponds to
    label: str  # the model as the source names it
    values: dict[str, dict[str, float]]  # task -> metric -> percent


@dataclass(frozen=True)
class ReferenceSource:
    id: str
    title: str
    url: str
    note: str
    protocols: dict[str, str]  # task -> how the source describes its protocol
    rows: tuple[ReferenceRow, ...]
    #: Transcribed from a secondary source (a review page, a paper note), not from the paper itself.
    secondary: bool = False


def load_references(path: Path | None = None) -> list[ReferenceSource]:
    """The sources in `path`, or in the packaged references.json when `path` is None."""
    if path is None:
        text = resources.files("longbench").joinpath("resources/references.json").read_text(encoding="utf-8")
        where = "longbench/resources/references.json"
    else:
        text, where = _read(Path(path)), f"--references {path}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SchemaError(f"{where}: expected a JSON object, found {type(data).__name__}")
    if data.get("schema_version") != REFERENCES_SCHEMA_VERSION:
        raise SchemaError(
            f"{where}: references schema_version {data.get('schema_version')!r} is not supported "
            f"(this longbench reads version {REFERENCES_SCHEMA_VERSION})"
        )
    try:
        return [_source(s) for s in data["sources"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SchemaError(f"{where}: not a valid references file ({type(exc).__name__}: {exc})") from None


def _read(path: Path) -> str:
    require_regular_file(path, "--references", SchemaError)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"--references {path}: not found") from None
    except OSError as exc:
        raise SchemaError(f"--references {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SchemaError(f"--references {path}: not UTF-8 text ({exc})") from None


def _source(data: dict[str, Any]) -> ReferenceSource:
    rows = tuple(
        ReferenceRow(
            model=str(r["model"]),
            label=str(r["label"]),
            values={t: {m: float(v) for m, v in ms.items()} for t, ms in r["values"].items()},
        )
        for r in data["rows"]
    )
    return ReferenceSource(
        id=str(data["id"]),
        title=str(data["title"]),
        url=str(data["url"]),
        note=str(data.get("note", "")),
        protocols={str(k): str(v) for k, v in data["protocols"].items()},
        rows=rows,
        secondary=bool(data.get("secondary", False)),
    )
