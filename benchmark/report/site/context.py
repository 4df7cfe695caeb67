"""What every page of the web leaderboard is drawn from, gathered once: the results, the references, the board
(the same table model leaderboard.md renders) and the registered tasks' metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...tasks import TaskMeta, all_tasks
from ..board import Board, build_board
from ..collect import ProbeRecord, ResultRecord, ResultSet
from ..columns import MAIN_METRICS, Column
from ..references import ReferenceSource


@dataclass
class Context:
    results: ResultSet
    references: list[ReferenceSource]
    board: Board
    #: The registered tasks' metadata (protocol, licence, source) by name.
    metas: dict[str, TaskMeta] = field(default_factory=dict)

    @classmethod
    def build(cls, results: ResultSet, references: list[ReferenceSource]) -> Context:
        metas = {task.meta.name: task.meta for task in all_tasks()}
        return cls(results, list(references), build_board(results, references, MAIN_METRICS), metas)

    @property
    def models(self) -> list[str]:
        """Every model with a result or probe file (each gets a page)."""
        return sorted({r.result.model.name for r in self.results.results} | {p.model for p in self.results.probes})

    @property
    def tasks(self) -> list[str]:
        """Every task with a result, a probe or a reported number (each gets a page)."""
        found = {r.result.task.name for r in self.results.results} | {p.task for p in self.results.probes}
        return sorted(found | {t for s in self.references for row in s.rows for t in row.values})

    def records_of(self, model: str) -> list[ResultRecord]:
        return [r for r in self.results.results if r.result.model.name == model]

    def probes_of(self, model: str) -> list[ProbeRecord]:
        return [p for p in self.results.probes if p.model == model]

    def source(self, source_id: str) -> ReferenceSource:
        return next(s for s in self.references if s.id == source_id)

    def protocol(self, task: str) -> str:
        """The task's protocol in one line: the registered one, else as a result file recorded it, else ''."""
        if task in self.metas:
            return self.metas[task].protocol
        return next((r.result.task.protocol for r in self.results.results if r.result.task.name == task), "")

    def column_note(self, column: Column) -> str:
        """Which task (protocol) fills a column, and the other tasks that may fill it, marked; or the tasks it pools."""
        if column.dataset.mean_of:
            return f"{column.header}: the items of tasks {', '.join(column.dataset.mean_of)} pooled"
        own, *others = column.dataset.protocols
        note = f"{column.header}: task {own.task}"
        note += f" ({self.protocol(own.task)})" if self.protocol(own.task) else ""
        return note + "".join(f"; marked {p.mark}: task {p.task}, {p.note}" for p in others)
