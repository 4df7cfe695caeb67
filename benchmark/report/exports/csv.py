"""`longbench export csv`: the paper table (paper.py) as CSV: `model`, `origin` (measured, imported, reported),
`source`, then per column `<task> <metric>` (average columns: `average <metric>`) with `... low` / `... high` beside
it where any row has a bootstrap interval, and `... best` (1 on the best measured value). The protocols (the LaTeX
table's footnotes) are the export's notes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ...artifacts.atomic import atomic_open
from . import Export, Exporter, Selection, register_exporter
from .paper import Column, PaperTable, paper_table


def _name(column: Column) -> str:
    return f"{column.task or 'average'} {column.metric}"


def rows(table: PaperTable) -> list[list[str]]:
    with_ci = {c for c in table.columns if any((v := r.values.get(c)) is not None and v.ci for r in table.rows)}
    header = ["model", "origin", "source"]
    for column in table.columns:
        header += [_name(column)] + [f"{_name(column)} low", f"{_name(column)} high"] * (column in with_ci)
        header += [f"{_name(column)} best"]
    out = [header]
    for row in table.rows:
        line = [row.label, row.origin, row.source]
        for column in table.columns:
            value = row.values.get(column)
            line.append("" if value is None else repr(value.value))
            if column in with_ci:
                line += [repr(b) for b in value.ci] if value is not None and value.ci else ["", ""]
            line.append("1" if value is not None and value.best else "")
        out.append(line)
    return out


def write(selection: Selection, out: Path) -> Export:
    table = paper_table(selection)
    with atomic_open(out) as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows(table))
    return Export([out], [f"{task}: {protocol}" for task, protocol in table.protocols.items()])


register_exporter(Exporter("csv", "a paper table as CSV (values, intervals, best marks)", write, imported=True))
