"""tasks/<task>.html: a task's protocol, licence and source, the data fingerprint each result was measured on, the
results, the numbers papers reported under the task's protocol (with their sources) and measured - reported;
tasks/index.html lists them."""

from __future__ import annotations

from ...metrics.registry import metric, metric_order
from ..board import differences, measured_by
from ..collect import ResultRecord
from ..columns import DATASETS
from ..references import ReferenceSource
from ..tables import MISSING, fmt, fmt_measured
from .context import Context
from .layout import definition_list, esc, file_href, link, model_href, page, sup, task_href

ROOT = "../"


def task_page(ctx: Context, task: str) -> str:
    records = [r for r in ctx.results.results if r.result.task.name == task]
    sections = [f"<h1>{esc(task)}</h1>", _facts(ctx, task), _results(records), _reported(ctx, task),
                _differences(ctx, task)]
    return page(task, "\n".join(s for s in sections if s), ROOT, current="tasks")


def _facts(ctx: Context, task: str) -> str:
    meta = ctx.metas.get(task)
    columns = [f"{esc(d.label)}" + (f" (marked {sup(p.mark)}: {esc(p.note)})" if p.mark else " (its own protocol)")
               for d in DATASETS for p in d.protocols if p.task == task]
    columns += [f"{esc(d.label)} (pooled with {esc(', '.join(t for t in d.mean_of if t != task))})"
                for d in DATASETS if task in d.mean_of]
    items = [("columns", "; ".join(columns) or "none on the leaderboard")]
    if meta is None:
        items.append(("protocol", esc(ctx.protocol(task) or "not recorded")))
        return f'<p class="lead">Not a task this longbench knows; what the files say:</p>{definition_list(items)}'
    url, _, rest = meta.source.partition(" ")
    source = link(url, url, rel="noopener") + f" {esc(rest)}" if url.startswith("https://") else esc(meta.source)
    items = [
        ("description", esc(meta.description)),
        ("kind", esc(meta.kind)),
        ("protocol", esc(meta.protocol)),
        ("protocol version", str(meta.version)),
        ("split", esc(meta.split)),
        ("licence", esc(meta.licence)),
        ("source", source),
        ("expected", esc(", ".join(f"{n} {what}" for what, n in meta.expected.items()) or MISSING)),
        *items,
    ]
    items += [("warning", esc(meta.warning))] if meta.warning else []
    return definition_list(items)


def _results(records: list[ResultRecord]) -> str:
    if not records:
        return ""
    names = metric_order({m for r in records for m in r.result.metrics})
    head = "".join(f'<th scope="col">{esc(metric(n).label)}</th>' for n in names)
    rows = []
    for record in records:
        result = record.result
        model = result.model.name
        cells = "".join(f'<td class="num">{fmt_measured(result.metrics.get(n))}</td>' for n in names)
        origin = measured_by(record)
        rows.append(f'<tr><th scope="row">{link(model_href(model, ROOT), model)}</th>{cells}'
                    f"<td>{esc(origin)}</td><td>{result.task.task_version}</td><td>{esc(result.task.protocol)}</td>"
                    f'<td class="num">{fmt_measured(result.task.n_images, 0)}</td>'
                    f"<td><code>{esc(result.task.fingerprint or MISSING)}"
                    f"</code></td><td>{link(file_href(record.path, ROOT), record.path)}</td></tr>")
    prints = {r.result.task.fingerprint for r in records if r.result.task.fingerprint}
    note = (f"<p class=\"warn\">{len(prints)} different data fingerprints: these results were not all measured on the "
            "same copy of the data.</p>" if len(prints) > 1 else "")
    return f"""<section aria-labelledby="results-heading"><h2 id="results-heading">Results</h2>{note}
<div class="scroll" role="region" tabindex="0" aria-labelledby="results-heading"><table class="results"><thead><tr>
<th scope="col">Model</th>{head}<th scope="col">Measured by</th><th scope="col">Version</th>
<th scope="col">Protocol (as recorded)</th><th scope="col">Images</th><th scope="col">Data fingerprint</th>
<th scope="col">File</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"""


def _reported(ctx: Context, task: str) -> str:
    blocks = [_source_block(ctx, s, task) for s in ctx.references if any(task in r.values for r in s.rows)]
    if not blocks:
        return ""
    return f"""<section aria-labelledby="reported-heading"><h2 id="reported-heading">Reported numbers</h2>
<p>Numbers papers reported under this task's protocol (not measured here).</p>{''.join(blocks)}</section>"""


def _source_block(ctx: Context, source: ReferenceSource, task: str) -> str:
    rows = [r for r in source.rows if task in r.values]
    names = metric_order({m for r in rows for m in r.values[task]})
    head = "".join(f'<th scope="col">{esc(metric(n).label)}</th>' for n in names)
    body = "".join(
        f'<tr><th scope="row">{esc(r.label)}</th><td>{_model(ctx, r.model)}</td>'
        + "".join(f'<td class="num">{fmt(r.values[task].get(n))}</td>' for n in names) + "</tr>" for r in rows)
    kind = "a secondary transcription" if source.secondary else "the source itself"
    return f"""<h3>{link(source.url, source.title, rel="noopener")}</h3>
<p><code>{esc(source.id)}</code>, transcribed from {kind}. Protocol as the source describes it:
{esc(source.protocols.get(task, "not described"))}. {esc(source.note)}</p>
<table class="data"><thead><tr><th scope="col">Model (as reported)</th><th scope="col">longbench name</th>{head}
</tr></thead><tbody>{body}</tbody></table>"""


def _model(ctx: Context, model: str) -> str:
    return link(model_href(model, ROOT), model) if model in ctx.models else f"<code>{esc(model)}</code>"


def _differences(ctx: Context, task: str) -> str:
    found = [d for d in differences(ctx.results, ctx.references) if d.task == task]
    if not found:
        return ""
    rows = "".join(
        f'<tr><td><code>{esc(d.source)}</code></td><td>{_model(ctx, d.model)}</td><td>{esc(metric(d.metric).label)}'
        f'</td><td class="num">{fmt_measured(d.measured)}</td><td class="num">{fmt(d.reported)}</td>'
        f'<td class="num">{fmt_measured(d.difference, signed=True)}</td></tr>' for d in found)
    return f"""<section aria-labelledby="diff-heading"><h2 id="diff-heading">Measured − reported</h2>
<p>Where a model measured here on the full protocol was also reported by a source.</p>
<table class="data"><thead><tr><th scope="col">Source</th><th scope="col">Model</th><th scope="col">Metric</th>
<th scope="col">Measured</th><th scope="col">Reported</th><th scope="col">Measured − reported</th></tr></thead>
<tbody>{rows}</tbody></table></section>"""


def tasks_index(ctx: Context) -> str:
    rows = []
    for task in ctx.tasks:
        meta = ctx.metas.get(task)
        results = sum(r.result.task.name == task for r in ctx.results.results)
        reported = sum(task in r.values for s in ctx.references for r in s.rows)
        rows.append(f'<tr><th scope="row">{link(task_href(task, ROOT), task)}</th>'
                    f"<td>{esc(meta.kind if meta else MISSING)}</td><td>{esc(ctx.protocol(task) or MISSING)}</td>"
                    f'<td>{esc(meta.licence if meta else MISSING)}</td><td class="num">{results}</td>'
                    f'<td class="num">{reported}</td></tr>')
    body = f"""<h1>Tasks</h1>
<p class="lead">Every task with a result or a reported number on this site.</p>
<div class="scroll" role="region" tabindex="0" aria-label="Tasks"><table class="data"><thead><tr>
<th scope="col">Task</th><th scope="col">Kind</th><th scope="col">Protocol</th><th scope="col">Licence</th>
<th scope="col">Results</th><th scope="col">Reported rows</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
</div>"""
    return page("Tasks", body, ROOT, current="tasks")
