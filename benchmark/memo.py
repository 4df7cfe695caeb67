"""Small records remembered between runs under the cache home (cache_home.py), one file per key.

A record is a JSON object at `<cache home>/<kind>/<key[:2]>/<key>.json` (or arrays in an `.npz` beside it) that
holds its own key, so a record under the wrong name is never believed. Memos only save work: one that cannot be
read (missing, damaged, from another version) is absent, and one that cannot be written (a read-only or full cache
home) is skipped, never an error.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .artifacts.atomic import atomic_open
from .cache_home import cache_folder
from .errors import OutputError


def memo_key(*parts: Any) -> str:
    """sha256 over `parts` (bytes as they are, anything else as sorted JSON), each part ended by a NUL."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode())
        h.update(b"\0")
    return h.hexdigest()


def memo_path(kind: str, key: str, suffix: str = ".json", override: Path | str | None = None) -> Path:
    """Where the record of `key` lives in the cache folder `kind` (`override` replaces the cache home)."""
    return cache_folder(kind, override) / key[:2] / f"{key}{suffix}"


def read_memo(kind: str, key: str, override: Path | str | None = None) -> dict[str, Any] | None:
    try:
        record = json.loads(memo_path(kind, key, override=override).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key or not isinstance(record.get("value"), dict):
        return None
    return record["value"]


def write_memo(kind: str, key: str, value: dict[str, Any], override: Path | str | None = None) -> None:
    try:
        with atomic_open(memo_path(kind, key, override=override)) as fh:
            json.dump({"key": key, "value": value}, fh)
    except OutputError:
        pass  # a read-only or full cache home: the work is redone next time


def read_arrays(kind: str, key: str, override: Path | str | None = None) -> dict[str, Any] | None:
    """The arrays remembered under `key` (an `.npz` record holding its key), or None."""
    try:
        with np.load(memo_path(kind, key, ".npz", override), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return arrays if str(arrays.pop("key", "")) == key else None


def write_arrays(kind: str, key: str, arrays: dict[str, Any], override: Path | str | None = None) -> None:
    try:
        with atomic_open(memo_path(kind, key, ".npz", override), "wb") as fh:
            np.savez(fh, key=np.array(key), **arrays)
    except OutputError:
        pass
