"""compare.html: pick two models, see every task and metric side by side with B - A, marked where the 95% bootstrap
intervals do not overlap.

The page holds its data as JSON (every value, its text as leaderboard.md formats it, its interval), and site.js
draws the table for the chosen pair; the difference is formatted in the browser by a port of Python's rounding
(round half to even), so it reads as the markdown would print it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ...metrics.registry import metric, metric_order
from ..board import MEASURED, is_subset
from ..collect import ResultRecord
from ..columns import DATASETS
from ..tables import fmt, fmt_measured
from .context import Context
from .layout import attrs, esc, file_href, model_href, page, task_href

DATA_ID = "compare-data"


def compare_page(ctx: Context) -> str:
    models = [m for m in ctx.models if ctx.records_of(m)]
    ranked = [r.model for r in ctx.board.rows_of(MEASURED) if r.model in models]
    defaults = (ranked + [m for m in models if m not in ranked])[:2]
    data = compare_data(ctx, models, defaults)
    options = "".join(f"<option{attrs(value=m)}>{esc(m)}</option>" for m in models)
    pickers = "".join(
        f'<div><label for="model-{side}">Model {side.upper()}</label><select id="model-{side}" name="{side}">'
        f"{options}</select></div>" for side in ("a", "b"))
    body = f"""<h1>Compare two models</h1>
<p class="lead">Every task and metric both models have, side by side. <span class="sig-mark">◆</span> marks a
difference whose 95% bootstrap intervals do not overlap (both results need <code>--bootstrap</code>); results of
different task versions or on a subset are not compared.</p>
{'<p class="empty">Fewer than two models have result files: nothing to compare yet.</p>' if len(models) < 2 else ''}
<div class="pickers">{pickers}</div>
<p id="compare-summary" aria-live="polite"></p>
<div class="scroll" role="region" tabindex="0" aria-label="Comparison">
<table class="compare" id="compare-table"><thead><tr><th scope="col">Task</th><th scope="col">Metric</th>
<th scope="col" id="head-a">A</th><th scope="col" id="head-b">B</th><th scope="col">B − A</th>
<th scope="col">Intervals</th></tr></thead><tbody></tbody></table></div>
<noscript><p>This page draws its table with JavaScript; each model's page lists its numbers without it.</p></noscript>
<script type="application/json" id="{DATA_ID}">{_json(data)}</script>"""
    return page("Compare", body, current="compare")


def compare_data(ctx: Context, models: list[str], defaults: list[str]) -> dict[str, Any]:
    records = [r for r in ctx.results.results if r.result.model.name in models]
    names = metric_order({m for r in records for m in r.result.metrics})
    return {
        "defaults": defaults,
        "tasks": _task_order({r.result.task.name for r in records}),
        "metrics": [[n, metric(n).label] for n in names],
        "models": {m: {"page": model_href(m), "results": {r.result.task.name: _result(r) for r in ctx.records_of(m)}}
                   for m in models},
    }


def _task_order(tasks: set[str]) -> list[str]:
    """The leaderboard's column order (columns.py), then any other task by name."""
    ordered = [p.task for d in DATASETS for p in d.protocols if p.task in tasks]
    return ordered + sorted(tasks - set(ordered))


def _result(record: ResultRecord) -> dict[str, Any]:
    result = record.result
    return {
        "version": result.task.task_version,
        "subset": is_subset(result.task),
        "origin": result.origin.tool,
        "file": file_href(record.path),
        "task_page": task_href(result.task.name),
        "metrics": {n: _value(v, result.ci.get(n)) for n, v in result.metrics.items()},
    }


def _value(value: float, ci: list[float] | None) -> dict[str, Any]:
    finite = math.isfinite(value)
    return {
        "v": value if finite else None,
        "t": fmt_measured(value),
        "ci": [ci[0], ci[1]] if ci and finite else None,
        "ci_t": f"[{fmt(ci[0])}, {fmt(ci[1])}]" if ci and finite else "",
    }


def _json(data: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element early."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
