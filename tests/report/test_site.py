"""The web leaderboard without a browser: what `--html` writes, where its links lead, its numbers, its safety rules.

The browser tests (test_site_browser.py) check what a person sees and does; these check the files."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.report import build_leaderboard, load_references, load_results
from longbench.report import columns as columns_module
from longbench.report.columns import Dataset, Group, Protocol
from longbench.report.site import build_site
from longbench.report.site.layout import MARKER, slug
from longbench.report.tables import fmt
from tests.helpers.results import IMPORTED_FROM, retrieval

from .golden import REFERENCES, write_golden_results

runner = CliRunner()


class Links(HTMLParser):
    """Every href/src, and every table cell that carries data-sort, of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.cells: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        self.links += [values[a] for a in ("href", "src") if values.get(a) is not None]
        if tag == "td" and "data-metric" in values:
            self.cells.append(values)


def parse(text: str) -> Links:
    parser = Links()
    parser.feed(text)
    return parser


@pytest.fixture
def golden_site(tmp_path, write, write_probe):
    roots = write_golden_results(write, write_probe)
    write("r", "longclip-L", "urban1k", retrieval(85.0, 84.0), origin=IMPORTED_FROM, task_version=2)
    results = load_results([tmp_path / r for r in roots])
    return results, build_site(results, load_references(REFERENCES))


def test_the_site_has_an_index_a_page_per_model_and_task_and_a_compare_page(golden_site):
    results, site = golden_site
    models = {r.result.model.name for r in results.results} | {p.model for p in results.probes}
    tasks = {r.result.task.name for r in results.results} | {"coco-karpathy", "flickr30k-full", "winoground"}
    assert {"index.html", "compare.html", "tasks/index.html", "assets/site.css", "assets/site.js", MARKER} <= set(site)
    assert {f"models/{slug(m)}.html" for m in models} <= set(site)
    assert {f"tasks/{slug(t)}.html" for t in tasks} <= set(site)


def test_every_link_stays_inside_the_site_or_is_a_sources_web_page(golden_site):
    _, site = golden_site
    for name, content in site.items():
        if not name.endswith(".html"):
            continue
        for href in parse(content.decode()).links:
            if href.startswith(("https://", "data:")) or href.startswith("#"):
                continue
            target = (Path(name).parent / href.split("#")[0]).as_posix()
            target = re.sub(r"[^/]+/\.\./", "", target)
            assert target in site, f"{name}: {href} leads nowhere"


def test_nothing_is_loaded_from_the_network(golden_site):
    _, site = golden_site
    for name, content in site.items():
        text = content.decode()
        if name.endswith(".html"):
            assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", text), name
        if name.startswith("assets/"):
            assert "http" not in text and "@import" not in text and "url(" not in text, name


def test_every_number_on_the_index_is_its_result_files_value(golden_site, tmp_path):
    results, site = golden_site
    cells = [c for c in parse(site["index.html"].decode()).cells if c.get("data-sort") and c.get("data-file")]
    assert len(cells) > 20
    for cell in cells:
        data = json.loads(site[f"files/{cell['data-file']}"])
        assert float(cell["data-sort"]) == data["metrics"][cell["data-metric"]]
        assert data["task"]["name"] == cell["data-task"]


def test_the_copied_files_are_the_result_files_byte_for_byte(golden_site):
    results, site = golden_site
    for record in [*results.results, *results.probes]:
        assert site[f"files/{record.path}"] == record.file.read_bytes()


def test_the_index_shows_cells_as_the_markdown_does(golden_site):
    _, site = golden_site
    index = site["index.html"].decode()
    assert '56.2</a><sup>b</sup>' in index  # 56.25: Python's half-to-even, as leaderboard.md prints it
    assert '90.0</a><sup>V</sup>' in index and '50.0</a><sup>L</sup>' in index
    assert '80.0</a> <span class="rank">(1)</span>' in index
    assert "✗" in index and "60 / none" in index


def test_the_compare_data_holds_every_value_and_interval(golden_site):
    _, site = golden_site
    page = site["compare.html"].decode()
    data = json.loads(re.search(r'<script type="application/json" id="compare-data">(.*?)</script>', page, re.S)[1])
    urban = data["models"]["longclip-B"]["results"]["urban1k"]
    assert urban["metrics"]["i2t_r1"] == {"v": 80.0, "t": "80.0", "ci": [78.5, 81.5], "ci_t": "[78.5, 81.5]"}
    assert data["models"]["toy"]["results"]["cifar10"]["metrics"]["acc1"] == {"v": None, "t": "✗", "ci": None,
                                                                               "ci_t": ""}
    assert data["defaults"] == ["longclip-B", "toy"]  # the two best by mean rank
    assert data["tasks"][:2] == ["urban1k", "urban-200"]  # the leaderboard's column order


def test_the_same_results_give_the_same_site_byte_for_byte(golden_site):
    results, site = golden_site
    assert build_site(results, load_references(REFERENCES)) == site


def test_cli_writes_markdown_and_site_from_the_same_results(tmp_path, write):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    args = ["leaderboard", "--results", str(tmp_path / "r"), "--references", str(REFERENCES)]
    result = runner.invoke(app, [*args, "--md", str(tmp_path / "a.md"), "--html", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, [*args, "--out", str(tmp_path / "b.md")]).exit_code == 0
    assert (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()
    expected = build_leaderboard(load_results(tmp_path / "r"), load_references(REFERENCES))
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == expected
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / MARKER).is_file()
    assert (tmp_path / "site" / "files" / "clip-B" / "urban1k.json").is_file()
    only_site = runner.invoke(app, [*args, "--html", str(tmp_path / "site")])
    assert only_site.exit_code == 0 and "# longbench leaderboard" not in only_site.output  # no markdown on stdout


def test_a_new_site_replaces_the_old_one_whole(tmp_path, write):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    write("r2", "toy", "urban1k", retrieval(60.0, 50.0))
    site = tmp_path / "site"
    assert runner.invoke(app, ["leaderboard", "--results", str(tmp_path / "r"), "--html", str(site)]).exit_code == 0
    assert (site / "models" / "clip-B.html").is_file()
    assert runner.invoke(app, ["leaderboard", "--results", str(tmp_path / "r2"), "--html", str(site)]).exit_code == 0
    assert (site / "models" / "toy.html").is_file() and not (site / "models" / "clip-B.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_a_folder_longbench_did_not_write_is_refused_and_left_alone(tmp_path, write):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    result = runner.invoke(app, ["leaderboard", "--results", str(tmp_path / "r"), "--html", str(mine),
                                 "--out", str(tmp_path / "a.md")])
    assert result.exit_code == 2 and "not a site longbench wrote" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"] and not (tmp_path / "a.md").exists()


def test_a_file_given_as_the_site_is_refused(tmp_path, write):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    (tmp_path / "site").write_text("x")
    result = runner.invoke(app, ["leaderboard", "--results", str(tmp_path / "r"), "--html", str(tmp_path / "site")])
    assert result.exit_code == 2 and "is not a folder" in result.output


def test_a_group_added_in_columns_gets_its_table(tmp_path, write, monkeypatch):
    """A new group is one Group and its datasets in columns.py, nothing in the renderers."""
    group = Group("Robustness", "robustness", "Zero-shot classification under distribution shift.")
    dataset = Dataset(group, "ImageNet-R", "classification", (Protocol("imagenet-r"),))
    monkeypatch.setattr(columns_module, "GROUPS", (*columns_module.GROUPS, group))
    monkeypatch.setattr(columns_module, "DATASETS", (*columns_module.DATASETS, dataset))
    write("r", "clip-B", "imagenet-r", {"acc1": 31.25})
    results = load_results(tmp_path / "r")
    index = build_site(results, [])["index.html"].decode()
    section = index.split('<section class="group" id="robustness"')[1]
    assert ">Robustness</h2>" in section and ">ImageNet-R</button>" in section and ">31.2</a>" in section
    assert "**Robustness**: ImageNet-R" in build_leaderboard(results, [])


def test_slugs_are_safe_file_names_and_never_shared():
    assert slug("clip-B") == "clip-B" and slug("clip.B_2") == "clip.B_2"
    odd = [slug(n) for n in ("hf:org/model", "hf:org model", "../up", "a b", "a-b")]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", s) and ".." not in s for s in odd)
    assert len(set(odd)) == len(odd)


def test_fmt_rounds_half_to_even_as_the_site_script_must():
    """The numbers the browser test feeds site.js's fmt, with what Python prints for them."""
    assert [fmt(x) for x in (56.25, 56.75, 0.25, -0.25, 80.05)] == ["56.2", "56.8", "0.2", "-0.2", "80.0"]


def test_the_sites_assets_ship_with_the_package():
    """A non-editable install (CI's `pip install .`) carries only the package data pyproject names."""
    from fnmatch import fnmatch

    import tomllib

    import longbench.report.site as site_package

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assets = sorted((Path(site_package.__file__).parent / "assets").iterdir())
    shipped = patterns["longbench.report.site"]
    assert assets and all(any(fnmatch(f"assets/{a.name}", p) for p in shipped) for a in assets)


def test_without_results_the_index_opens_on_the_reported_rows(tmp_path):
    (tmp_path / "r").mkdir()
    index = build_site(load_results(tmp_path / "r"), load_references(REFERENCES))["index.html"].decode()
    assert 'value="reported" checked' in index and "Long-CLIP-B" in index


def test_with_results_the_reported_rows_start_hidden(golden_site):
    _, site = golden_site
    index = site["index.html"].decode()
    assert 'value="measured" checked' in index and 'value="reported">' in index
