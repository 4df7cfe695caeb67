"""Regression gate: compare a candidate result set with a baseline, metric by metric.

Rules (also in examples/README.md):
- Pairing: results are paired by (model, task). When each side holds exactly one model, they are paired by task
  alone, so a baseline of `longclip-B` can gate a candidate checkpoint that runs under another name. When the
  baseline holds one model and the candidate several (the checkpoints of a training run), every candidate model
  is gated against that baseline, in one table.
- Unusable input raises GateInputError (exit 2): a side with no results, a requested task or metric found nowhere,
  a task or metric present on only one side (unless `allow_missing`, which reports it as `missing` and lets it
  pass), a pair measured under different task versions or protocols (task.protocol, kind or `--limit` differ), and, with
  `significance`, a compared metric without a bootstrap interval on both sides.
- Tolerance rule (default): a metric fails when candidate - baseline < -tolerance (points). A drop of exactly the
  tolerance passes; deltas are rounded to 1e-6 first so that float noise (79.3 - 80.3) does not decide.
- Significance rule (`significance=True`): a metric fails when the candidate's interval lies wholly below the
  baseline's (candidate upper bound < baseline lower bound); the tolerance is not used.
- Direction: both rules read "worse" from the metric registry: for a lower-is-better metric (a median rank) a rise
  beyond the tolerance fails, or a candidate interval wholly above the baseline's.
- Imported results (`origin.imported`: measured by another tool, e.g. CLIP_benchmark) are never a measurement of
  the gate's: they are left out of both sides with a warning naming them, and a side holding nothing else is
  unusable input (exit 2).
- Fail closed: a NaN/Inf value (metric or interval bound) on either side fails its row (rule `non-finite`), also
  under `allow_missing`; a NaN/Inf tolerance is unusable input (exit 2).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import LongbenchError
from ..metrics import registry as metric_registry
from ..metrics.registry import metric_order
from .collect import ResultRecord, ResultSet
from .tables import fmt_measured, markdown_table

DELTA_DIGITS = 6
#: The rule named on a row that failed because a value on either side is NaN/Inf.
NON_FINITE = "non-finite"


class GateInputError(LongbenchError):
    """The two result sets cannot be compared (exit code 2)."""


@dataclass(frozen=True)
class GateRow:
    model: str
    task: str
    metric: str
    baseline: float | None
    candidate: float | None
    status: str  # "pass" | "fail" | "missing"
    rule: str  # how it was judged: "tol 1" (tolerance in points) or "CI" (interval rule)
    baseline_ci: tuple[float, float] | None = None
    candidate_ci: tuple[float, float] | None = None

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return round(self.candidate - self.baseline, DELTA_DIGITS)


@dataclass
class GateReport:
    rows: list[GateRow]
    tolerance: float
    significance: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[GateRow]:
        return [r for r in self.rows if r.status == "fail"]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def headline(self) -> str:
        rule = "significance (CI)" if self.significance else f"tolerance {self.tolerance:g} points"
        invalid = sum(r.rule == NON_FINITE for r in self.failures)
        dropped = len(self.failures) - invalid
        reasons = [f"{dropped} metric(s) dropped"] * bool(dropped) + [f"{invalid} non-finite (NaN/Inf)"] * bool(invalid)
        verdict = "PASSED" if self.passed else f"FAILED ({', '.join(reasons)})"
        return f"longbench gate {verdict}: {len(self.rows)} metric(s) compared, {rule}"

    def table_rows(self) -> list[list[str]]:
        return [
            [
                r.model,
                r.task,
                r.metric,
                fmt_measured(r.baseline, 2) + _interval(r.baseline_ci),
                fmt_measured(r.candidate, 2) + _interval(r.candidate_ci),
                fmt_measured(r.delta, 2, signed=True),
                r.rule,
                r.status.upper(),
            ]
            for r in self.rows
        ]

    HEADERS = ("Model", "Task", "Metric", "Baseline", "Candidate", "Δ", "Rule", "Status")

    def to_markdown(self) -> str:
        out = [f"## {self.headline}", "", markdown_table(self.HEADERS, self.table_rows(), [False] * 3 + [True] * 3)]
        out += [f"- warning: {w}" for w in self.warnings]
        return "\n".join(out).rstrip("\n") + "\n"

    def to_junit(self) -> str:
        suite = ET.Element(
            "testsuite",
            name="longbench-gate",
            tests=str(len(self.rows)),
            failures=str(len(self.failures)),
            skipped=str(sum(r.status == "missing" for r in self.rows)),
            errors="0",
        )
        for row in self.rows:
            case = ET.SubElement(suite, "testcase", classname=f"longbench.gate.{row.model}.{row.task}", name=row.metric)
            text = (f"baseline {fmt_measured(row.baseline, 2)}, candidate {fmt_measured(row.candidate, 2)}, "
                    f"delta {fmt_measured(row.delta, 2, True)}")
            if row.status == "fail":
                what = "is NaN/Inf" if row.rule == NON_FINITE else "dropped"
                ET.SubElement(case, "failure", message=f"{row.metric} {what} ({row.rule})").text = text
            elif row.status == "missing":
                ET.SubElement(case, "skipped", message="present on one side only").text = text
        suites = ET.Element("testsuites", name="longbench-gate")
        suites.append(suite)
        ET.indent(suites)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _interval(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f" [{ci[0]:.2f}, {ci[1]:.2f}]"


def _index(results: ResultSet, side: str, tasks: Sequence[str] | None,
           warnings: list[str]) -> dict[tuple[str, str], ResultRecord]:
    if not results.results:
        raise GateInputError(f"{side}: no result files to compare")
    imported = sorted(r.path for r in results.results if r.imported)
    if not results.measured:
        raise GateInputError(f"{side}: only imported results ({imported[0]}, ...), measured by another tool; the gate "
                             "compares longbench's own measurements only")
    if imported:
        warnings.append(f"{side}: {len(imported)} imported result(s) left out, measured by another tool "
                        f"({', '.join(imported)})")
    return {r.key: r for r in results.measured if not tasks or r.result.task.name in tasks}


def _by_task(records: dict[tuple[str, str], ResultRecord]) -> dict[tuple[str, str], ResultRecord]:
    return {("*", task): r for (_, task), r in records.items()}


def _check_protocol(key: tuple[str, str], base: ResultRecord, cand: ResultRecord) -> None:
    b, c = base.result.task, cand.result.task
    if b.task_version != c.task_version:
        raise GateInputError(
            f"{key[1]}: baseline {base.path} was measured under task version {b.task_version}, candidate "
            f"{cand.path} under task version {c.task_version}; results of different task versions cannot be compared"
        )
    for what, bv, cv in (("protocol", b.protocol, c.protocol), ("kind", b.kind, c.kind), ("limit", b.limit, c.limit)):
        if bv != cv:
            raise GateInputError(
                f"{key[1]}: baseline {base.path} and candidate {cand.path} differ in {what} "
                f"({bv!r} vs {cv!r}); results under different protocols cannot be compared"
            )


def check_tolerance(tolerance: float) -> None:
    """A finite number of points >= 0 (NaN compares false with everything, so a NaN tolerance would pass all)."""
    if not math.isfinite(tolerance) or tolerance < 0:
        raise GateInputError(f"--tolerance {tolerance}: expected a finite number of points >= 0")


def _finite(*values: float | None) -> bool:
    return all(v is None or math.isfinite(v) for v in values)


def gate(
    baseline: ResultSet,
    candidate: ResultSet,
    tolerance: float = 1.0,
    metrics: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    significance: bool = False,
    allow_missing: bool = False,
) -> GateReport:
    """Compare `candidate` with `baseline` under the rules in the module doc; raise GateInputError if unusable."""
    check_tolerance(tolerance)
    warnings: list[str] = []
    base, cand = _index(baseline, "baseline", tasks, warnings), _index(candidate, "candidate", tasks, warnings)
    base_models, cand_models = {m for m, _ in base}, {m for m, _ in cand}
    if len(base_models) == 1 and len(cand_models) == 1:
        base, cand = _by_task(base), _by_task(cand)
    elif len(base_models) == 1:  # one baseline for every candidate model
        base = {(model, task): record for model in cand_models for (_, task), record in base.items()}
    seen_tasks = {t for _, t in (*base, *cand)}
    for task in tasks or ():
        if task not in seen_tasks:
            raise GateInputError(f"--tasks {task}: found in neither baseline nor candidate")
    rows: list[GateRow] = []
    for key in sorted(set(base) | set(cand)):
        b, c = base.get(key), cand.get(key)
        if b is None or c is None:
            rows += _missing(key, b, c, metrics, allow_missing)
            continue
        _check_protocol(key, b, c)
        if b.result.task.fingerprint != c.result.task.fingerprint:
            warnings.append(
                f"{key[1]}: data fingerprints differ ({b.path} vs {c.path}); the data read was not identical"
            )
        rows += _compare(key, b, c, tolerance, metrics, significance, allow_missing)
    for metric in metrics or ():
        if not any(r.metric == metric for r in rows):
            raise GateInputError(f"--metrics {metric}: no compared result has this metric")
    return GateReport(rows, tolerance, significance, warnings)


def _wanted(names: set[str], metrics: Sequence[str] | None) -> list[str]:
    return metric_order(names & set(metrics) if metrics else names)


def _model(key: tuple[str, str], *records: ResultRecord | None) -> str:
    return key[0] if key[0] != "*" else next(r.result.model.name for r in records if r is not None)


def _missing(key, b, c, metrics, allow_missing) -> list[GateRow]:
    present = b or c
    side = "candidate" if c is None else "baseline"
    if not allow_missing:
        raise GateInputError(
            f"{key[1]}: {present.path} has no counterpart in the {side} (use --allow-missing to report and pass it)"
        )
    values = present.result.metrics
    return [
        GateRow(
            _model(key, b, c),
            key[1],
            m,
            values[m] if b else None,
            values[m] if c else None,
            "missing" if _finite(values[m]) else "fail",
            f"only in {'baseline' if b else 'candidate'}" if _finite(values[m]) else NON_FINITE,
        )
        for m in _wanted(set(values), metrics)
    ]


def _compare(key, b, c, tolerance, metrics, significance, allow_missing) -> list[GateRow]:
    bm, cm = b.result.metrics, c.result.metrics
    rows = []
    for metric in _wanted(set(bm) | set(cm), metrics):
        if metric not in bm or metric not in cm:
            if not allow_missing:
                where = f"candidate {c.path}" if metric not in cm else f"baseline {b.path}"
                raise GateInputError(f"{key[1]}: metric {metric} missing from {where}")
            ok = _finite(bm.get(metric), cm.get(metric))
            rows.append(GateRow(_model(key, b, c), key[1], metric, bm.get(metric), cm.get(metric),
                                "missing" if ok else "fail", "one side" if ok else NON_FINITE))
            continue
        rows.append(_judge(_model(key, b, c), key[1], metric, b, c, tolerance, significance))
    return rows


def _judge(model, task, metric, b, c, tolerance, significance) -> GateRow:
    base, cand = b.result.metrics[metric], c.result.metrics[metric]
    if not _finite(base, cand, *b.result.ci.get(metric, ()), *c.result.ci.get(metric, ())):
        return GateRow(model, task, metric, base, cand, "fail", NON_FINITE)
    # +1 where higher is better, -1 where lower is (a median rank): a "drop" is a move the wrong way.
    sign = 1 if _higher_is_better(metric) else -1
    if not significance:
        dropped = round(sign * (cand - base), DELTA_DIGITS) < -tolerance
        return GateRow(model, task, metric, base, cand, "fail" if dropped else "pass", f"tol {tolerance:g}")
    bci, cci = b.result.ci.get(metric), c.result.ci.get(metric)
    if not bci or not cci:
        where = f"baseline {b.path}" if not bci else f"candidate {c.path}"
        raise GateInputError(f"--significance: {where} has no bootstrap interval for {metric} (run with --bootstrap)")
    worse = cci[1] < bci[0] if sign > 0 else cci[0] > bci[1]
    return GateRow(
        model, task, metric, base, cand, "fail" if worse else "pass", "CI", (bci[0], bci[1]), (cci[0], cci[1])
    )


def _higher_is_better(name: str) -> bool:
    """From the metric registry; a name it does not know (a newer longbench's) counts as higher-is-better."""
    return metric_registry.metric(name).higher_is_better if metric_registry.is_metric(name) else True
