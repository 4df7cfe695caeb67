"""`longbench export FORMAT`: result files in other tools' formats and as paper tables, one module per format.

Every exporter reads result files as the report does (collect.py) and writes under `out`. Metric names in another
tool come from the metric registry's aliases; task names from that tool's table in interop/, which lists only the
tasks whose data and protocol were verified to be the same: any other task keeps longbench's name, and the export
says so (a note, and a field in the file where the format has room). Imported results (measured by another tool)
are never exported as longbench's in a tool's format; the paper tables show them, marked.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import DataError
from ...registry import Registry
from ..collect import ResultRecord, ResultSet, load_results
from ..references import ReferenceSource


@dataclass(frozen=True)
class Selection:
    """What to export: the records (deduplicated as the report does) and, for tables, the chosen tasks/metrics."""

    results: ResultSet
    tasks: tuple[str, ...] | None = None
    metrics: tuple[str, ...] | None = None
    references: tuple[ReferenceSource, ...] = ()

    def records(self, imported: bool = False) -> list[ResultRecord]:
        """The chosen measured results, and the imported ones too with `imported`."""
        return [r for r in self.results.results
                if (imported or not r.imported) and (self.tasks is None or r.result.task.name in self.tasks)]


@dataclass
class Export:
    """The files an export wrote and what it has to say (tasks kept under longbench's name, results left out)."""

    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Exporter:
    name: str
    description: str
    write: Callable[[Selection, Path], Export]
    #: Shows imported results (marked); a tool's format never does.
    imported: bool = False


EXPORT_FORMATS: Registry[Exporter] = Registry("export format")
#: The format modules, each registering its exporter(s).
_FORMATS = ("clip_benchmark", "mteb", "hf", "latex", "csv")


def register_exporter(exporter: Exporter) -> Exporter:
    return EXPORT_FORMATS.add(exporter.name, exporter)


def export(fmt: str, results: Path | Sequence[Path], out: Path, tasks: Sequence[str] | None = None,
           metrics: Sequence[str] | None = None, references: Sequence[ReferenceSource] = ()) -> Export:
    """Write the results under `results` in format `fmt` at `out` (a folder, or a file for latex/csv)."""
    exporter = EXPORT_FORMATS.get(fmt)
    found = load_results(results)
    chosen = Selection(found, tuple(tasks) if tasks else None, tuple(metrics) if metrics else None, tuple(references))
    if not chosen.records(exporter.imported):
        where = ", ".join(map(str, [results] if isinstance(results, (str, Path)) else results))
        what = "no result files" if exporter.imported else "no result files measured by longbench"
        raise DataError(f"{where}: {what} to export" + (f" for --tasks {','.join(tasks)}" if tasks else ""))
    return exporter.write(chosen, Path(out))


for _module in _FORMATS:
    importlib.import_module(f"{__name__}.{_module}")
