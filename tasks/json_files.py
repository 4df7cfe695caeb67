"""Reading the JSON annotation files of the tasks: whole files, JSON lines, the head of a huge list, string fields.

Each reader opens only a regular file inside the task's root (data/paths.py: no FIFO, no symlink leading out);
every failure is a DataError naming the task and the file. Registers nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from longbench.data.paths import require_data_file
from longbench.errors import DataError


def read_json(path: Path, name: str, root: Path) -> Any:
    require_data_file(path, root, name)
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{name}: {path} is not valid UTF-8 JSON ({err})") from None


def read_jsonl(path: Path, name: str, root: Path) -> list[dict[str, Any]]:
    """Every non-blank line of a JSON-lines file as an object; a bad line is a DataError naming its number."""
    require_data_file(path, root, name)
    rows = []
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataError(f"{name}: {path}: line {number} is not valid JSON ({err.msg})") from None
                if not isinstance(row, dict):
                    raise DataError(f"{name}: {path}: line {number}: expected a JSON object")
                rows.append(row)
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: {path} is not valid UTF-8 ({err.reason})") from None
    return rows


def string_field(row: dict[str, Any], key: str, where: str) -> str:
    """`row[key]` when it is a string, else a DataError naming the field and where the row is."""
    value = row.get(key)
    if not isinstance(value, str):
        found = "nothing" if value is None else type(value).__name__
        raise DataError(f"{where}: expected a string {key!r}, found {found}")
    return value


_NEXT_CHAR = re.compile(r"\s*(\S)")


def json_list_head(path: Path, n: int, name: str, root: Path, chunk_size: int = 1 << 20) -> list[Any]:
    """The first `n` elements of a JSON list, decoded with the stdlib without reading the rest of the file.

    The ShareGPT4V file is ~1.5 GB; reading only its head keeps the 1k/10k tasks (and `status`) fast.
    """
    require_data_file(path, root, name)
    return list(_iter_json_list(path, name, chunk_size, n))


def _iter_json_list(path: Path, name: str, chunk_size: int, n: int) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as f:
        buf, pos, eof = "", 0, False

        def fill() -> bool:
            nonlocal buf, pos, eof
            data = f.read(chunk_size)
            eof = not data
            buf, pos = buf[pos:] + data, 0
            return not eof

        def skip_space() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos].isspace():
                    pos += 1
                if pos < len(buf) or not fill():
                    return buf[pos] if pos < len(buf) else ""

        try:
            if skip_space() != "[":
                raise DataError(f"{name}: {path} must hold a JSON list of entries")
            pos += 1
            index = 0
            while index < n:
                if skip_space() == "]" and index == 0:
                    return
                while True:
                    try:
                        obj, end = decoder.raw_decode(buf, pos)
                    except json.JSONDecodeError as err:
                        if eof:
                            raise DataError(f"{name}: {path}: entry {index} is not valid JSON "
                                            f"({err.msg})") from None
                        fill()
                        continue
                    # A number cut by the chunk's end ("1." of "1.5") decodes "successfully": trust a value
                    # only once the separator after it is in the buffer.
                    after = _NEXT_CHAR.match(buf, end)
                    if not eof and (after is None or after.group(1) not in ",]"):
                        fill()
                        continue
                    break
                pos = end
                yield obj
                index += 1
                sep = skip_space()
                if sep == "]":
                    return
                if sep != ",":
                    raise DataError(f"{name}: {path}: expected ',' or ']' after entry {index - 1}, "
                                    f"found {sep!r}")
                pos += 1
        except UnicodeDecodeError as err:
            raise DataError(f"{name}: {path} is not valid UTF-8 ({err.reason})") from None
