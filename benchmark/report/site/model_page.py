"""models/<model>.html: every result of one model (metrics with bootstrap intervals, truncation, recall per caption
length), its probes (curves), the weights it was loaded from, the environment of each run, links to the files."""

from __future__ import annotations

import json
from urllib.parse import quote

from ...metrics.registry import DIRECTION_LABELS, DIRECTIONS, metric, metric_order, recall_name
from ..board import is_subset, marks_of, measured_by, newest_versions
from ..collect import ProbeRecord, ResultRecord
from ..columns import VERSION_MARK
from ..tables import MISSING, fmt, fmt_measured
from .charts import Line, Series, bar_chart, line_chart
from .context import Context
from .layout import attrs, definition_list, esc, file_href, link, page, sup, task_href

ROOT = "../"
#: The ModelInfo fields shown, in order (text_spec is shown as JSON).
MODEL_FIELDS = ("architecture", "context_length", "pos_embed_kind", "backend", "checkpoint", "checkpoint_sha256",
                "source", "revision", "tokenizer", "text_spec", "licence")
#: One colour class per direction, the same on every chart.
DIRECTION_CSS = dict(zip(DIRECTIONS, ("s0", "s1"), strict=True))


def model_page(ctx: Context, model: str) -> str:
    records, probes = ctx.records_of(model), ctx.probes_of(model)
    versions = newest_versions(ctx.results)
    origins = sorted({_origin(r) for r in records})
    sections = [
        f'<h1>{esc(model)}</h1><p class="lead">{esc("; ".join(origins) or "probed by longbench")}. '
        f'{link(f"{ROOT}compare.html#a={quote(model)}", "Compare with another model")}.</p>',
        _model_facts(records),
        *(_results_table(kind, [r for r in records if r.result.kind == kind], versions)
          for kind in sorted({r.result.kind for r in records})),
        _length_section(records),
        _probe_section(probes),
        _environment(records),
    ]
    return page(model, "\n".join(s for s in sections if s), ROOT)


def _origin(record: ResultRecord) -> str:
    return f"imported from {measured_by(record)}" if record.result.origin.imported else "measured by longbench"


def _model_facts(records: list[ResultRecord]) -> str:
    if not records:
        return ""
    items = []
    for name in MODEL_FIELDS:
        seen: dict[str, list[str]] = {}
        for record in records:
            seen.setdefault(_text(getattr(record.result.model, name)), []).append(record.result.task.name)
        if len(seen) == 1:
            items.append((name, f"<code>{esc(next(iter(seen)))}</code>"))
        else:  # different weights or settings per task: say which task saw which
            items.append((name, "; ".join(f"<code>{esc(v)}</code> ({esc(', '.join(tasks))})" for v, tasks in
                                          seen.items())))
    return f'<section aria-labelledby="model-heading"><h2 id="model-heading">Model</h2>{definition_list(items)}' \
           "</section>"


def _text(value: object) -> str:
    if value is None:
        return MISSING
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)


def _results_table(kind: str, records: list[ResultRecord], versions: dict[str, int]) -> str:
    names = metric_order({m for r in records for m in r.result.metrics})
    head = "".join(f'<th scope="col" title="{esc(metric(n).description)}">{esc(metric(n).label)}</th>' for n in names)
    rows = []
    for record in records:
        result, task = record.result, record.result.task
        cells = "".join(_metric_cell(result.metrics.get(n), result.ci.get(n)) for n in names)
        marks = marks_of(record, versions)
        notes = [f"{task.n_images} images" + (f" (limit {task.limit})" if task.limit is not None else "")
                 if task.n_images is not None else f"measured by {measured_by(record)}"]
        notes += ["a subset of the protocol"] if is_subset(task) else []
        notes += [f"task version {task.task_version}, older than the newest"] if VERSION_MARK in marks else []
        rows.append(f'<tr><th scope="row">{link(task_href(task.name, ROOT), task.name)}{sup(marks)}</th>{cells}'
                    f'<td class="num">{_truncation(record)}</td><td class="note">{esc("; ".join(notes))}</td>'
                    f'<td class="note">{esc(measured_by(record))}</td>'
                    f'<td class="file">{link(file_href(record.path, ROOT), record.path)}</td></tr>')
    bootstrap = next((r.result.bootstrap for r in records if r.result.bootstrap), None)
    note = (f"Brackets: the 95% bootstrap interval ({bootstrap.get('samples')} resamples)." if bootstrap else
            "No bootstrap intervals: these results were run without <code>--bootstrap</code>.")
    return f"""<section aria-labelledby="results-{kind}"><h2 id="results-{kind}">Results: {esc(kind)}</h2>
<p>{note} Marks as on the <a href="{ROOT}index.html">leaderboard</a>.</p>
<div class="scroll" role="region" tabindex="0" aria-labelledby="results-{kind}">
<table class="results"><thead><tr><th scope="col">Task</th>{head}<th scope="col">Captions truncated</th>
<th scope="col">Notes</th><th scope="col">Measured by</th><th scope="col">File</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></div></section>"""


def _metric_cell(value: float | None, ci: list[float] | None) -> str:
    interval = f' <span class="ci">[{fmt(ci[0])}, {fmt(ci[1])}]</span>' if ci else ""
    return f'<td class="num"{attrs(data_value=None if value is None else repr(value))}>{fmt_measured(value)}' \
           f"{interval}</td>"


def _truncation(record: ResultRecord) -> str:
    cut = record.result.truncation
    if cut is None or not cut.n_texts:
        return MISSING
    share = 100.0 * cut.n_truncated / cut.n_texts
    lost = (f"the truncated captions lost {fmt(cut.mean_tokens_lost)} tokens on average, at most "
            f"{cut.max_tokens_lost}" if cut.n_truncated else "no caption was truncated")
    return f'<span class="share" title="{esc(lost)}">{fmt(share)}%</span> ({cut.n_truncated} of {cut.n_texts})'


def _length_section(records: list[ResultRecord]) -> str:
    charts = [_length_chart(r) for r in records if r.result.by_length]
    if not charts:
        return ""
    return f"""<section aria-labelledby="length-heading"><h2 id="length-heading">Recall by caption length</h2>
<p>Recall@1 of the captions in each length bucket (CLIP tokens, start and end tokens counted): where a model loses
what its context cuts off.</p><div class="charts">{''.join(charts)}</div></section>"""


def _length_chart(record: ResultRecord) -> str:
    task, buckets = record.result.task.name, record.result.by_length
    names = list(buckets)
    series = [(f"{DIRECTION_LABELS[d]} R@1", [buckets[b].get(recall_name(d, 1)) for b in names], DIRECTION_CSS[d])
              for d in DIRECTIONS]
    counts = [f"{int(buckets[b].get('n_texts', 0))} captions" for b in names]
    chart = bar_chart(f"length-{_id(task)}", f"{task}: Recall@1 by caption length", names, series, "Recall@1 (%)",
                      "caption length (tokens)", counts)
    rows = "".join(f"<tr><th scope=\"row\">{esc(b)}</th><td class=\"num\">{counts[i].split()[0]}</td>"
                   + "".join(f'<td class="num">{fmt(vs[i])}</td>' for _, vs, _ in series) + "</tr>"
                   for i, b in enumerate(names))
    head = "".join(f'<th scope="col">{esc(name)}</th>' for name, _, _ in series)
    table = (f'<details><summary>The numbers</summary><table class="data"><thead><tr><th scope="col">Length</th>'
             f'<th scope="col">Captions</th>{head}</tr></thead><tbody>{rows}</tbody></table></details>')
    return f'<div class="chart-block"><h3>{link(task_href(task, ROOT), task)}</h3>{chart}{table}</div>'


def _probe_section(probes: list[ProbeRecord]) -> str:
    charts = [_probe_chart(p) for p in probes if p.curve is not None and p.curve.lengths]
    if not charts:
        return ""
    return f"""<section aria-labelledby="probe-heading"><h2 id="probe-heading">Effective text length</h2>
<p>Recall@1 when every caption is cut to a length (<code>longbench probe</code>): the effective length is the
shortest cut within the probe's tolerance of the full-length recall (ringed).</p>
<div class="charts">{''.join(charts)}</div></section>"""


def _probe_chart(probe: ProbeRecord) -> str:
    curve = probe.curve
    series = [Series(f"{DIRECTION_LABELS[d]} R@1", curve.lengths, curve.recall[d], DIRECTION_CSS[d], dashed=i == 1)
              for i, d in enumerate(DIRECTIONS)]
    lines = [Line(f"{DIRECTION_LABELS[d]} full length {fmt(curve.full[d])}", DIRECTION_CSS[d], y=curve.full[d])
             for d in DIRECTIONS if d in curve.full]
    if probe.unit == "tokens" and curve.context_length <= max(curve.lengths):
        lines.append(Line(f"context {curve.context_length} tokens", "context", x=float(curve.context_length)))
    lengths = dict(zip(DIRECTIONS, (probe.i2t, probe.t2i), strict=True))
    rings = [(i, float(lengths[d])) for i, d in enumerate(DIRECTIONS) if lengths[d] is not None]
    chart = line_chart(f"probe-{_id(probe.task)}-{probe.unit}", f"{probe.task}: Recall@1 against caption length "
                       f"({probe.unit})", series, f"caption length ({probe.unit})", "Recall@1 (%)", lines, rings)
    facts = definition_list([
        ("effective length (I2T / T2I)", esc(f"{_length(probe.i2t)} / {_length(probe.t2i)} {probe.unit}")),
        ("tolerance", esc(f"{fmt(curve.tolerance)} points of full-length Recall@1")),
        ("file", link(file_href(probe.path, ROOT), probe.path)),
    ])
    rows = "".join(f'<tr><th scope="row">{fmt(x) if x % 1 else int(x)}</th>'
                   + "".join(f'<td class="num">{fmt(curve.recall[d][i])}</td>' for d in DIRECTIONS) + "</tr>"
                   for i, x in enumerate(curve.lengths))
    head = "".join(f'<th scope="col">{DIRECTION_LABELS[d]} R@1</th>' for d in DIRECTIONS)
    table = (f'<details><summary>The numbers</summary><table class="data"><thead><tr><th scope="col">Length</th>'
             f"{head}</tr></thead><tbody>{rows}</tbody></table></details>")
    title = link(task_href(probe.task, ROOT), probe.task)
    return f'<div class="chart-block"><h3>{title}, {esc(probe.unit)}</h3>{chart}{facts}{table}</div>'


def _length(value: int | None) -> str:
    return "none" if value is None else str(value)


def _environment(records: list[ResultRecord]) -> str:
    if not records:
        return ""
    keys = list(dict.fromkeys(k for r in records for k in r.result.environment))
    head = "".join(f'<th scope="col">{esc(k)}</th>' for k in keys)
    rows = "".join(f'<tr><th scope="row">{esc(r.result.task.name)}</th>'
                   + "".join(f"<td>{esc(r.result.environment.get(k, MISSING))}</td>" for k in keys)
                   + f"<td>{esc(r.result.created)}</td></tr>" for r in records)
    return f"""<section aria-labelledby="env-heading"><h2 id="env-heading">Environment</h2>
<p>What each result was measured with, as its file records it.</p>
<div class="scroll" role="region" tabindex="0" aria-labelledby="env-heading"><table class="data"><thead><tr>
<th scope="col">Task</th>{head}<th scope="col">created</th></tr></thead><tbody>{rows}</tbody></table></div></section>"""


def _id(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)

