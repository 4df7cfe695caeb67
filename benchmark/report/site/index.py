"""index.html: one table per column group (columns.py), measured, imported and reported rows told apart.

The tables are complete without JavaScript (rows in mean-rank order, every number linked to its result file);
site.js adds sorting by any column (the headers are buttons), the model filter and the origin toggles.
"""

from __future__ import annotations

from ...metrics.registry import metric
from ..board import IMPORTED, MEASURED, ORIGINS, REPORTED, Cell, Row
from ..columns import PROBE_COLUMNS, Column, Group, datasets_by_group, probe_group
from ..leaderboard import mean_rank_text, probe_text
from ..tables import INVALID, MISSING, fmt
from .context import Context
from .layout import TITLE, attrs, esc, file_href, link, marks_legend, model_href, page, site_file, sup, task_href

ORIGIN_LABELS = {MEASURED: "Measured", IMPORTED: "Imported", REPORTED: "Reported"}
#: Rows shown when the page opens (the papers' rows outnumber the measured ones; a toggle shows them), unless there
#: are none of these.
SHOWN = (MEASURED, IMPORTED)
ORIGIN_NOTES = {
    MEASURED: "measured by longbench, ranked",
    IMPORTED: "measured by another tool and imported, not ranked",
    REPORTED: "reported by a paper, not ranked",
}


def index_page(ctx: Context) -> str:
    counts = {o: len(ctx.board.rows_of(o)) for o in ORIGINS}
    tables = "".join(_group_section(ctx, g) for g in datasets_by_group())
    body = f"""<h1>{esc(TITLE)}</h1>
<p class="lead">CLIP-style image-text models, one table per task group. Every number is a percentage and links to
the result file it comes from; a column's protocol is in its header's tooltip and in the notes under each table.</p>
{_controls(counts)}
<details class="marks"><summary>What the marks mean</summary>{marks_legend()}</details>
{tables or '<p class="empty">No results and no reported numbers yet.</p>'}
{_sources(ctx)}
{_superseded(ctx)}"""
    return page(TITLE, body, current="index")


def _controls(counts: dict[str, int]) -> str:
    shown = SHOWN if any(counts[o] for o in SHOWN) else ORIGINS  # nothing measured yet: show what papers reported
    toggles = "".join(
        f'<label><input type="checkbox" class="origin-toggle"{attrs(value=o, checked=o in shown)}> {ORIGIN_LABELS[o]} '
        f'<span class="count">({counts[o]})</span></label>' for o in ORIGINS)
    return f"""<div class="controls">
<div class="filter"><label for="filter">Filter models</label>
<input id="filter" type="search" placeholder="model name" autocomplete="off" spellcheck="false"></div>
<fieldset class="origins"><legend>Show rows</legend>{toggles}</fieldset>
<p id="shown" class="shown" aria-live="polite"></p>
</div>"""


def _group_section(ctx: Context, group: Group) -> str:
    cols = [c for c in ctx.board.columns if c.dataset.group == group]
    probes = group == probe_group()
    rows = [r for o in ORIGINS for r in ctx.board.rows_of(o, cols) if _has_any(r, cols, probes)]
    if not cols or not rows:
        return ""
    head = [_header("Model", "text", "the model's name"), "<th scope=\"col\">Origin</th>",
            "<th scope=\"col\">Licence</th>"]
    head += [_header(c.header, "number", ctx.column_note(c), better="high" if metric(c.metric).higher_is_better
                     else "low") for c in cols]
    if probes:
        head += [_header(label, "number", f"{label}: I2T / T2I from longbench probe on the probe's task; sorted by I2T",
                         better="high") for _, label in PROBE_COLUMNS]
    head.append(_header("Mean rank", "number", "the mean of the row's ranks in this table's columns (ranked columns "
                        "in brackets)", better="low", sort="ascending"))
    body = "".join(_row(ctx, r, cols, probes) for r in rows)
    return f"""<section class="group" id="{group.slug}" aria-labelledby="{group.slug}-heading">
<h2 id="{group.slug}-heading">{esc(group.name)}</h2>
<p>{esc(group.description)}</p>
<div class="scroll" role="region" tabindex="0" aria-labelledby="{group.slug}-heading">
<table class="board sortable" aria-labelledby="{group.slug}-heading">
<thead><tr>{''.join(head)}</tr></thead>
<tbody>{body}</tbody>
</table>
</div>
<details class="protocols"><summary>Protocols of these columns</summary><ul>{_protocols(ctx, cols)}</ul></details>
</section>
"""


def _has_any(row: Row, cols: list[Column], probes: bool) -> bool:
    return any(c in row.cells for c in cols) or (probes and bool(row.probes))


def _header(label: str, kind: str, note: str, better: str | None = None, sort: str | None = None) -> str:
    title = f"{note}. Sort by this column (again to reverse)."
    return (f'<th scope="col"{attrs(aria_sort=sort, data_type=kind, data_better=better)}>'
            f'<button type="button" title="{esc(title)}">{esc(label)}</button></th>')


def _row(ctx: Context, row: Row, cols: list[Column], probes: bool) -> str:
    cells = [_name(ctx, row), _origin(ctx, row), f'<td class="licence">{esc(row.licence or MISSING)}</td>']
    cells += [_cell(row.cells.get(c), c) for c in cols]
    if probes:
        for unit, _ in PROBE_COLUMNS:
            probe = row.probes.get(unit)
            text = esc(probe_text(probe))
            sort = "" if probe is None or probe.i2t is None else str(probe.i2t)
            shown = link(file_href(probe.path), probe_text(probe)) if probe is not None and probe.file else text
            cells.append(f'<td class="num"{attrs(data_sort=sort)}>{shown}</td>')
    mean = row.mean_rank(cols)
    cells.append(f'<td class="num"{attrs(data_sort="" if mean is None else repr(mean[0]))}>'
                 f"{esc(mean_rank_text(mean))}</td>")
    search = f"{row.model} {row.label}".lower()
    return f'<tr{attrs(data_origin=row.origin, data_search=search)}>{"".join(cells)}</tr>'


def _name(ctx: Context, row: Row) -> str:
    if row.origin != REPORTED:
        return f'<th scope="row" data-sort="{esc(row.label)}">{link(model_href(row.model), row.label)}</th>'
    known = row.model in ctx.models
    model = link(model_href(row.model), row.model) if known else esc(row.model)
    return (f'<th scope="row" data-sort="{esc(row.label)}">{esc(row.label)} '
            f'<span class="aka">as <code>{model}</code></span></th>')


def _origin(ctx: Context, row: Row) -> str:
    if row.origin == REPORTED:
        source = ctx.source(row.source)
        secondary = " (secondary)" if source.secondary else ""
        detail = link(source.url, source.id, title=source.title, rel="noopener") + esc(secondary)
    else:
        detail = esc(row.source)
    badge = f'<span class="badge {row.origin}" title="{esc(ORIGIN_NOTES[row.origin])}">{row.origin}</span>'
    return f'<td class="origin">{badge}{" " + detail if detail else ""}</td>'


def _cell(cell: Cell | None, column: Column) -> str:
    if cell is None:
        return f'<td class="num missing"{attrs(data_metric=column.metric)} data-sort="">{MISSING}</td>'
    where = attrs(data_task=cell.task, data_metric=column.metric,
                  data_file=site_file(cell.record.path) if cell.record is not None else None)
    if not cell.valid:
        return (f'<td class="num invalid"{where} data-sort="" title="task {esc(cell.task)}: NaN or Inf in the result '
                f'file">{INVALID}</td>')
    title = f"{column.header}, task {cell.task}"
    title += f", 95% bootstrap interval {fmt(cell.ci[0])} to {fmt(cell.ci[1])}" if cell.ci else ""
    value = fmt(cell.value)
    if cell.record is not None and cell.record.file is not None:
        value = link(file_href(cell.record.path), value, title=f"{title}; the result file {cell.record.path}")
    else:
        value = f'<span title="{esc(title)}">{esc(value)}</span>'
    rank = "" if cell.rank is None else f' <span class="rank">({cell.rank})</span>'
    return f'<td class="num"{where} data-sort="{cell.value!r}">{value}{sup(cell.marks)}{rank}</td>'


def _protocols(ctx: Context, cols: list[Column]) -> str:
    items = []
    for dataset in dict.fromkeys(c.dataset for c in cols):
        if dataset.mean_of:
            tasks = ", ".join(_task_link(ctx, t) for t in dataset.mean_of)
            items.append(f"<li><strong>{esc(dataset.label)}</strong>: the items of {tasks} pooled (each task's value "
                         "weighted by its item count); shown where all are measured</li>")
            continue
        own, *others = dataset.protocols
        parts = [f"{_task_link(ctx, own.task)}: {esc(ctx.protocol(own.task) or 'protocol not recorded')}"]
        parts += [f"{sup(p.mark)} {_task_link(ctx, p.task)}: {esc(p.note)}" for p in others]
        items.append(f"<li><strong>{esc(dataset.label)}</strong>: {'; '.join(parts)}</li>")
    return "".join(items)


def _task_link(ctx: Context, task: str) -> str:
    return link(task_href(task), task) if task in ctx.tasks else f"<code>{esc(task)}</code>"


def _sources(ctx: Context) -> str:
    if not ctx.references:
        return ""
    items = "".join(
        f"<li>{link(s.url, s.title, rel='noopener')} (<code>{esc(s.id)}</code>"
        f"{', a secondary transcription' if s.secondary else ''}): {esc(s.note)}</li>" for s in ctx.references)
    return f"""<section id="sources" aria-labelledby="sources-heading">
<h2 id="sources-heading">Sources of the reported numbers</h2>
<p>Numbers others reported, shipped with longbench; each is keyed by the longbench task whose protocol it was
reported under, so that it lands in the right column or is marked.</p>
<ul>{items}</ul></section>"""


def _superseded(ctx: Context) -> str:
    if not ctx.results.superseded:
        return ""
    items = "".join(f"<li><code>{esc(old)}</code> (superseded by <code>{esc(new)}</code>)</li>"
                    for old, new in ctx.results.superseded)
    return (f'<details class="ignored"><summary>Ignored duplicates ({len(ctx.results.superseded)})</summary>'
            "<p>Same model and task found more than once: a full-protocol result beats a subset, then the newest "
            f"<code>created</code> wins.</p><ul>{items}</ul></details>")
