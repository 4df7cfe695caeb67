"""Reading the CSV/TSV files of the tasks (a user's `csv:` data, TULIP's dci_long.csv): a header and its rows.

The stdlib reader is lenient where a mistake should be refused: a row with more fields than the header (a caption
holding an unquoted comma) would lose its tail, a quote never closed would swallow the rest of the file, a repeated
column would keep its last value, and a field over 131,072 characters raises an error without a line. Here each is
a DataError naming the file and the line the row starts on. A UTF-8 byte-order mark is dropped (spreadsheet
exports write one). Registers nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from longbench.errors import DataError


def read_csv(path: Path, source: str, delimiter: str, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line the row starts on, {column: value}) of every non-blank row; `columns` must be in the header, once.

    `source` names the file in messages; the caller has checked that `path` is a file it may read (data/paths.py).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{source} is not UTF-8 text ({err.reason})") from None
    what = {"\t": "tab", ",": "comma"}.get(delimiter, repr(delimiter))
    with _no_field_limit():
        reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
        _, header = _next_row(reader, source)
        if header is None:
            raise DataError(f"{source}: expected a header with {_names(columns)}, found no header (an empty file)")
        _check_header(header, columns, source, what)
        while True:
            line, row = _next_row(reader, source)
            if row is None:
                return
            if not any(field.strip() for field in row):
                continue
            if len(row) != len(header):
                hint = (f"; quote a value that holds a {what} separator" if len(row) > len(header)
                        else "; every row needs a value for each column")
                raise DataError(f"{source} line {line}: {len(row)} fields for the {len(header)} columns of the "
                                f"header{hint}")
            yield line, dict(zip(header, row, strict=True))


def _next_row(reader, source: str) -> tuple[int, list[str] | None]:
    """(the line the next row starts on, the row), or (line, None) at the end of the file."""
    line = reader.line_num + 1
    try:
        return line, next(reader)
    except StopIteration:
        return line, None
    except csv.Error as err:
        reason = "a quoted field is never closed" if "unexpected end of data" in str(err) else str(err)
        raise DataError(f"{source} line {line}: {reason} (a caption holding a quote must be quoted as a whole, "
                        'with the quote doubled: "6"" pipe")') from None


def _check_header(header: list[str], columns: Sequence[str], source: str, what: str) -> None:
    names = [name.strip() for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1 and name in columns})
    if repeated:
        raise DataError(f"{source}: the header names the column {repeated[0]!r} more than once; give it once")
    missing = [name for name in columns if name not in header]
    if missing:
        raise DataError(f"{source}: expected a header with {_names(columns)} ({what}-separated), found "
                        f"{', '.join(map(repr, header))}")


def _names(columns: Sequence[str]) -> str:
    return "the columns " + " and ".join(repr(c) for c in columns)


@contextmanager
def _no_field_limit() -> Iterator[None]:
    """The stdlib refuses fields over 131,072 characters by default; a long caption is still a caption."""
    previous = csv.field_size_limit(2**31 - 1)  # the largest every platform's C long holds
    try:
        yield
    finally:
        csv.field_size_limit(previous)
