"""The web leaderboard in a real browser: Debian's Chromium, driven by Playwright, opening the site from file:// with
every request that is not a file aborted (and counted as a failure), and any console error failing the test.

Without Playwright or a system Chromium these tests skip, saying which is missing; with LONGBENCH_REQUIRE_BROWSER
set (CI sets it, after installing Chromium) they fail instead, so that a missing browser never passes unseen.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.report.tables import fmt, fmt_measured
from longbench.tasks import get_task
from tests.helpers.results import make_result
from tests.report.browser import CHROMIUM_ARGS, browser_problem, chromium_path

from .site_examples import IMPORTED_MODEL, TIE, write_examples

pytestmark = pytest.mark.slow

#: How the browser is started: no GPU, no sandbox (CI runs as root), nothing that phones home.
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    problem = browser_problem()
    if problem:
        if os.environ.get("LONGBENCH_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests required (LONGBENCH_REQUIRE_BROWSER) but {problem}")
        pytest.skip(f"browser tests skipped: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=chromium_path(), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        blocked: list[str] = []

        def only_files(route):
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_files)
        context.blocked = blocked
        yield context
        context.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example results, plus a model whose output was invalid (NaN), as a site; returns the site folder."""
    from longbench.artifacts.results import write_result
    from longbench.artifacts.store import result_path

    root = tmp_path_factory.mktemp("web")
    results = write_examples(root / "results")
    write_result(make_result("example-broken", "urban1k", {"i2t_r1": float("nan"), "t2i_r1": 1.0}),
                 result_path(results, "example-broken", "urban1k"))
    outcome = CliRunner().invoke(app, ["leaderboard", "--results", str(results), "--html", str(root / "site")])
    assert outcome.exit_code == 0, outcome.output
    return root / "site"


@pytest.fixture
def open_page(browser, site):
    """open_page(path, scheme="light") -> a page of the site; at the end, no console error and no request out."""
    opened = []

    def _open(path: str, scheme: str = "light"):
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"{path}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{path}: {e}"))
        page.emulate_media(color_scheme=scheme)
        page.goto((site / path.split("#")[0]).as_uri() + ("#" + path.split("#")[1] if "#" in path else ""))
        page.wait_for_load_state("load")
        opened.append((page, errors))
        return page

    yield _open
    problems = [e for _, errors in opened for e in errors]
    for page, _ in opened:
        page.close()
    assert problems == [], problems
    assert browser.blocked == [], f"the site asked for the network: {browser.blocked}"


def _results(site: Path) -> Path:
    return site.parent / "results"


def _file(site: Path, relative: str) -> dict:
    """A result file as the results folder holds it (the numbers must equal these, not just the site's copies)."""
    return json.loads((_results(site) / relative).read_text(encoding="utf-8"))


def _column(page, table: str, header: str) -> list[str]:
    """data-sort of every row's cell under `header` in the table of the group `table`, in row order."""
    return page.evaluate("""([table, header]) => {
        const t = document.querySelector(`#${table} table`);
        const index = Array.from(t.tHead.rows[0].cells).findIndex(th => th.textContent.trim() === header);
        return Array.from(t.tBodies[0].rows).map(r => r.cells[index].dataset.sort);
    }""", [table, header])


def test_every_number_on_the_index_equals_its_result_file(open_page, site):
    page = open_page("index.html")
    cells = page.evaluate("""() => Array.from(document.querySelectorAll('td[data-file]')).map(td => ({
        file: td.dataset.file, metric: td.dataset.metric, task: td.dataset.task, text: td.innerText.trim(),
        marks: td.querySelector('sup') ? td.querySelector('sup').textContent : ''}))""")
    assert len(cells) >= 60
    for cell in cells:
        data = _file(site, cell["file"])
        value = data["metrics"][cell["metric"]]
        assert data["task"]["name"] == cell["task"]
        if isinstance(value, float) and math.isnan(value):
            assert cell["text"] == "✗"
        else:
            assert cell["text"].startswith(fmt(value) + cell["marks"]), cell
    tie = next(c for c in cells if c["file"] == f"{TIE[0]}/{TIE[1]}.json" and c["metric"] == TIE[2])
    assert tie["text"].startswith("56.2")  # Python's rounding (half to even), as leaderboard.md prints it
    subset = next(c for c in cells if c["file"] == "example-clip-B/docci.json")
    assert subset["marks"] == "L"


def test_a_header_click_sorts_best_first_and_a_second_click_reverses(open_page):
    page = open_page("index.html")
    header = page.locator("#long-retrieval thead th", has_text="Urban1k T2I")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    values = _column(page, "long-retrieval", "Urban1k T2I")
    numbers = [float(v) for v in values if v]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) >= 5
    assert all(v for v in values[:len(numbers)]) and not any(values[len(numbers):])  # empty cells last
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = _column(page, "long-retrieval", "Urban1k T2I")
    assert [float(v) for v in values if v] == sorted(numbers) and not any(values[len(numbers):])
    sorted_headers = page.locator("#long-retrieval thead th[aria-sort]")
    assert sorted_headers.count() == 1  # the mean-rank header gave up its mark
    page.locator("#long-retrieval thead th", has_text="Model").locator("button").click()
    names = page.evaluate("() => Array.from(document.querySelectorAll('#long-retrieval tbody th')).map(th => "
                          "th.dataset.sort.toLowerCase())")
    assert names == sorted(names)


def test_the_sort_buttons_work_from_the_keyboard(open_page):
    page = open_page("index.html")
    page.focus("#filter")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('thead th button')"):
            break
    else:
        pytest.fail("Tab never reached a sort button")
    label = page.evaluate("() => document.activeElement.textContent")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.parentElement.getAttribute('aria-sort')") == "ascending"
    assert page.locator("#sort-status").text_content() == f"Sorted by {label}, ascending."


def test_the_filter_keeps_matching_models_and_the_toggles_tell_origins_apart(open_page):
    page = open_page("index.html")

    def visible(origin: str | None = None) -> list[str]:
        return page.evaluate("""(origin) => Array.from(document.querySelectorAll('table.board tbody tr'))
            .filter(r => !r.hidden && (!origin || r.dataset.origin === origin)).map(r => r.dataset.search)""", origin)

    assert visible("reported") == [] and visible("measured") and visible("imported")  # reported: off at first
    page.check("input.origin-toggle[value=reported]")
    assert len(visible("reported")) > 10
    page.fill("#filter", "longclip")
    shown = visible()
    assert shown and all("longclip" in s for s in shown)
    assert any("long-clip" in s for s in shown)  # reported rows match on the longbench name too
    assert page.locator("#shown").text_content().startswith(f"{len(shown)} of ")
    page.uncheck("input.origin-toggle[value=measured]")
    assert visible("measured") == [] and visible("reported")
    page.fill("#filter", "")
    page.check("input.origin-toggle[value=measured]")
    page.uncheck("input.origin-toggle[value=reported]")
    assert {r.split()[0] for r in visible()} >= {"example-clip-b", IMPORTED_MODEL.lower()}


def test_a_model_page_has_its_intervals_truncation_charts_and_files(open_page, site):
    model = "example-clip-B"
    page = open_page(f"models/{model}.html")
    urban = _file(site, f"{model}/urban1k.json")
    row = page.locator("table.results tbody tr", has=page.locator("a", has_text=re.compile("^urban1k$")))
    low, high = urban["ci"]["i2t_r1"]
    assert f"{fmt(urban['metrics']['i2t_r1'])} [{fmt(low)}, {fmt(high)}]" in row.inner_text()
    cut = urban["truncation"]
    assert f"{fmt(100 * cut['n_truncated'] / cut['n_texts'])}%" in row.inner_text()
    assert urban["model"]["checkpoint_sha256"] in page.inner_text("main")
    retrieval = [p for p in (_results(site) / model).glob("*.json") if not p.name.startswith("probe-")
                 and json.loads(p.read_text())["by_length"]]
    assert page.locator("svg.chart.bars").count() == len(retrieval) >= 6
    buckets = urban["by_length"]
    bars = page.locator("#length-urban1k rect.bar")
    assert bars.count() == 2 * len(buckets)
    first = next(iter(buckets))
    assert bars.first.locator("title").text_content() == f"I2T R@1, {first}: {fmt(buckets[first]['i2t_r1'])}"
    probes = sorted((_results(site) / model).glob("probe-*.json"))
    assert page.locator("svg.chart.line").count() == len(probes) == 2
    tokens = json.loads((_results(site) / model / "probe-urban1k-tokens.json").read_text())
    assert page.locator("#probe-urban1k-tokens circle.point").count() == 2 * len(tokens["points"])
    assert page.locator("#probe-urban1k-tokens polyline").count() == 2
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('main a[href]')).map(a => a.href)")
    files = [unquote(urlparse(h).path) for h in hrefs if h.startswith("file:")]
    assert files and all(Path(f).is_file() for f in files)
    assert any(f.endswith(f"files/{model}/urban1k.json") for f in files)


def test_a_narrow_window_scrolls_the_results_table_instead_of_squeezing_its_notes(open_page):
    page = open_page("models/example-clip-B.html")
    page.set_viewport_size({"width": 700, "height": 900})
    rem = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    widths = page.evaluate("() => Array.from(document.querySelectorAll('table.results td.note'))"
                           ".map(td => td.getBoundingClientRect().width)")
    assert widths and min(widths) >= 14 * rem  # a word per line otherwise, each row many lines tall
    scroller = page.locator("div.scroll", has=page.locator("table.results")).first
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")


def test_a_task_page_has_its_protocol_licence_fingerprint_and_reported_numbers(open_page, site):
    page = open_page("tasks/urban1k.html")
    meta = get_task("urban1k").meta
    facts = page.inner_text("dl.facts")
    assert meta.licence in facts and meta.protocol in facts
    fingerprint = _file(site, "example-clip-B/urban1k.json")["task"]["fingerprint"]
    assert fingerprint in page.inner_text("table.results")
    source = page.locator("h3 a", has_text="LLM2CLIP")
    assert source.get_attribute("href") == "https://arxiv.org/abs/2411.04997"
    reported = page.locator("table.data tbody tr", has_text="Long-CLIP-B").first.inner_text()
    assert "79.1" in reported and "longclip-B" in reported


def _expected_rows(site: Path, a: str, b: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(task, metric label) -> (B − A text, intervals text), computed from the result files; a task or metric only
    one model has gets a row of dashes."""
    from longbench.metrics.registry import metric

    def load(model: str) -> dict[str, dict]:
        files = (json.loads(p.read_text()) for p in (_results(site) / model).glob("*.json")
                 if not p.name.startswith("probe-"))
        return {r["task"]["name"]: r for r in files}

    results_a, results_b = load(a), load(b)
    out = {}
    for task in set(results_a) | set(results_b):
        ra, rb = results_a.get(task), results_b.get(task)
        for name in set(ra["metrics"] if ra else {}) | set(rb["metrics"] if rb else {}):
            key = (task, metric(name).label)
            if ra is None or rb is None or name not in ra["metrics"] or name not in rb["metrics"]:
                out[key] = ("–", "not compared: a subset" if ra and rb and (ra["task"]["subset"] or
                                                                            rb["task"]["subset"]) else "–")
            elif ra["task"]["subset"] or rb["task"]["subset"]:
                out[key] = ("–", "not compared: a subset")
            else:
                ca, cb = ra["ci"].get(name), rb["ci"].get(name)
                note = "no interval" if not (ca and cb) else \
                    "◆ do not overlap" if ca[1] < cb[0] or cb[1] < ca[0] else "overlap"
                out[key] = (fmt_measured(rb["metrics"][name] - ra["metrics"][name], signed=True), note)
    return out


def test_compare_shows_differences_marked_where_the_intervals_do_not_overlap(open_page, site):
    page = open_page("compare.html#a=example-clip-L&b=example-longclip-B")
    read = """() => Array.from(document.querySelectorAll('#compare-table tbody tr')).map(r =>
        Array.from(r.cells).map(c => c.textContent.trim()))"""
    rows = {(r[0], r[1]): (r[4], r[5]) for r in page.evaluate(read)}
    expected = _expected_rows(site, "example-clip-L", "example-longclip-B")
    assert rows == expected
    assert any(note.startswith("◆") for _, note in rows.values()) and any(n == "overlap" for _, n in rows.values())
    page.select_option("#model-a", "example-clip-B")
    page.select_option("#model-b", IMPORTED_MODEL)
    assert page.locator("#head-b").text_content() == f"B: {IMPORTED_MODEL}"
    rows = {(r[0], r[1]): (r[4], r[5]) for r in page.evaluate(read)}
    assert rows == _expected_rows(site, "example-clip-B", IMPORTED_MODEL)
    assert {note for _, note in rows.values()} == {"no interval", "–"}  # the imported results have no interval
    page.select_option("#model-b", "example-longclip-B")
    rows = {(r[0], r[1]): (r[4], r[5]) for r in page.evaluate(read)}
    assert rows[("docci", "I2T R@1")] == ("–", "not compared: a subset")


def test_the_scripts_rounding_is_pythons(open_page):
    page = open_page("compare.html")
    values = [56.25, 56.75, 0.25, -0.25, 0.125, 0.375, 80.05, 1.005, 2.675, 99.95, -0.04, 0.0, 1e-9, 12.5, 3.5,
              -12.35, 100.0, 7.0625, -7.0625]
    got = page.evaluate("xs => xs.map(x => [longbench.fmt(x, 1, false), longbench.fmt(x, 1, true), "
                        "longbench.fmt(x, 2, false), longbench.fmt(x, 0, false)])", values)
    assert got == [[fmt(x), fmt(x, signed=True), fmt(x, 2), fmt(x, 0)] for x in values]


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_and_charts_are_readable_in_both_themes(open_page, scheme):
    page = open_page("models/example-longclip-B.html", scheme)
    colours = page.evaluate("""() => {
        const style = (q, p) => getComputedStyle(document.querySelector(q))[p];
        return {bg: style('body', 'backgroundColor'), text: style('body', 'color'),
                tick: style('svg.chart text.tick', 'fill'), label: style('svg.chart text.label', 'fill'),
                s0: style('svg.chart polyline.s0', 'stroke'), s1: style('svg.chart polyline.s1', 'stroke'),
                link: style('main a', 'color')};
    }""")
    assert (_luminance(colours["bg"]) < 0.05) == (scheme == "dark")
    assert _contrast(colours["text"], colours["bg"]) >= 7
    assert _contrast(colours["label"], colours["bg"]) >= 7 and _contrast(colours["tick"], colours["bg"]) >= 4.5
    assert _contrast(colours["s0"], colours["bg"]) >= 3 and _contrast(colours["s1"], colours["bg"]) >= 3
    assert _contrast(colours["link"], colours["bg"]) >= 4.5


def test_every_page_opens_without_a_console_error_or_a_request_out(open_page, site):
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) > 15
    for path in pages:
        page = open_page(path)
        assert page.title().endswith("longbench leaderboard"), path
        page.close()
