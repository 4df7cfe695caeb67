"""`longbench export latex`: the paper table (paper.py) as a booktabs `table` for a paper: the best value per column
in bold, a bootstrap interval in brackets where present, task columns with protocol footnotes, average columns,
imported rows marked \\dag (with their tool), reported rows \\ddag (with their source). Needs \\usepackage{booktabs}.
"""

from __future__ import annotations

import math
from pathlib import Path

from ...artifacts.atomic import atomic_open
from ..board import IMPORTED, REPORTED
from . import Export, Exporter, Selection, register_exporter
from .paper import Column, PaperRow, PaperTable, Value, paper_table

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
MARKS = {IMPORTED: r"\dag", REPORTED: r"\ddag"}


def escape(text: str) -> str:
    return "".join(_SPECIAL.get(c, c) for c in text)


def _letter(n: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[n % 26] * (n // 26 + 1)


def _value(value: Value | None) -> str:
    if value is None:
        return "--"
    if not math.isfinite(value.value):
        return "n/a"
    text = f"{value.value:.1f}"
    text = rf"\textbf{{{text}}}" if value.best else text
    return text + (rf"\,{{\scriptsize[{value.ci[0]:.1f}, {value.ci[1]:.1f}]}}" if value.ci else "")


def _label(row: PaperRow) -> str:
    return escape(row.label) + (rf"$^{{{MARKS[row.origin]}}}$" if row.origin in MARKS else "")


def render(table: PaperTable) -> str:
    tasks = table.tasks
    marks = {t: _letter(n) for n, t in enumerate(tasks)}
    groups = [(t, [c for c in table.columns if c.task == t]) for t in tasks]
    averages = [c for c in table.columns if c.task is None]
    head = [rf"\multicolumn{{{len(cols)}}}{{c}}{{{escape(t)}$^{{{marks[t]}}}$}}" for t, cols in groups]
    head += [r"\multicolumn{" + str(len(averages)) + r"}{c}{Average}"] if averages else []
    ordered: list[Column] = [c for _, cols in groups for c in cols] + averages
    lines = [
        r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l" + "r" * len(ordered) + "}", r"\toprule",
        "Model & " + " & ".join(head) + r" \\",
        " & " + " & ".join(escape(c.label) for c in ordered) + r" \\", r"\midrule",
    ]
    lines += [_label(row) + " & " + " & ".join(_value(row.values.get(c)) for c in ordered) + r" \\"
              for row in table.rows]
    lines += [r"\bottomrule", r"\end{tabular}", r"\par\smallskip\footnotesize"]
    notes = [rf"$^{{{marks[t]}}}$\,{escape(t)}: {escape(table.protocols.get(t, 'no result'))}." for t in tasks]
    notes += [r"Bold: the best measured value of each column. Values in percent; [low, high]: 95\% bootstrap "
              "interval."]
    notes += [rf"$^{{\dag}}$\,imported: measured by {escape(tool)}." for tool in
              sorted({r.source for r in table.rows if r.origin == IMPORTED})]
    notes += [rf"$^{{\ddag}}$\,reported by {escape(src)}, not measured by longbench." for src in
              sorted({r.source for r in table.rows if r.origin == REPORTED})]
    lines += [r" \\ ".join(notes), r"\end{table}"]
    return "\n".join(lines) + "\n"


def write(selection: Selection, out: Path) -> Export:
    with atomic_open(out) as fh:
        fh.write(render(paper_table(selection)))
    return Export([out])


register_exporter(Exporter("latex", "a paper-ready LaTeX table (booktabs)", write, imported=True))
