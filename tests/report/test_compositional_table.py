"""The leaderboard's Compositional table: its own ranks, SugarCrepe's category columns pooled over their subsets'
items as the paper's, marks carried, and the SugarCrepe paper's reported rows."""

from __future__ import annotations

import pytest

from longbench.report import build_leaderboard, load_references, load_results
from longbench.report.site import build_site
from longbench.tasks.sugarcrepe import CATEGORIES

SUBSETS = [s for subsets in CATEGORIES.values() for s in subsets]
ITEMS = {"replace_obj": 1652, "replace_att": 788, "replace_rel": 1406, "swap_obj": 245, "swap_att": 666,
         "add_obj": 2062, "add_att": 692}


def _row(board: str, table: str, model: str) -> list[str]:
    section = board.split(f"### {table}")[1].split("###")[0]
    header = next(line for line in section.splitlines() if line.startswith("| Model"))
    row = next(line for line in section.splitlines() if line.startswith(f"| {model} "))
    return dict(zip((c.strip() for c in header.split("|")), (c.strip() for c in row.split("|")), strict=True))


@pytest.fixture
def sugarcrepe(write):
    def _write(model: str, values: dict[str, float], **task_fields):
        for subset, value in values.items():
            write("r", model, f"sugarcrepe-{subset}", {"text_acc": value},
                  **{"kind": "selection", "counts": {"items": ITEMS[subset], "exact_ties": 0}, **task_fields})
    return _write


def test_category_columns_pool_the_subsets_items(tmp_path, sugarcrepe, write):
    # The paper's ViT-B/32 subset numbers (swap_obj on its 246 items then) pool to its 80.76 / 63.27 / 75.09.
    values = dict(zip(SUBSETS, [90.92, 80.08, 69.20, 61.38, 63.96, 77.21, 68.79], strict=True))
    sugarcrepe("clip-B-32", values)
    sugarcrepe("tiny", {s: 50.0 for s in SUBSETS})
    write("r", "tiny", "winoground", {"text_score": 25.0, "image_score": 10.0, "group_score": 5.0}, kind="selection",
          counts={"items": 400, "exact_ties": 2})
    board = build_leaderboard(load_results(tmp_path / "r"), load_references())
    row = _row(board, "Compositional", "clip-B-32")
    assert row["SugarCrepe Replace"].startswith("80.8") and row["SugarCrepe Add"].startswith("75.1")
    assert row["SugarCrepe Swap"].startswith("63.3")  # weighted by today's 245 swap_obj items: 63.27 still
    assert row["SC replace_obj"] == "90.9 (1)"
    assert _row(board, "Compositional", "tiny")["Winoground group"] == "5.0 (1)"
    # The main table's mean rank is untouched by the compositional columns.
    main_header = board.split("## Measured")[1].split("\n| Model")[1].split("\n")[0]
    assert "SugarCrepe" not in main_header and "Winoground" not in main_header


def test_a_subset_on_a_limit_marks_its_category(tmp_path, sugarcrepe):
    sugarcrepe("m", {s: 60.0 for s in SUBSETS if s != "swap_att"})
    sugarcrepe("m", {"swap_att": 70.0}, limit=10)
    row = _row(build_leaderboard(load_results(tmp_path / "r"), []), "Compositional", "m")
    assert row["SugarCrepe Swap"].endswith("<sup>L</sup>") and row["SugarCrepe Replace"] == "60.0 (1)"


def test_no_compositional_result_no_table_and_the_paper_rows_are_shown(tmp_path, write):
    write("r", "m", "urban1k", {"i2t_r1": 50.0, "t2i_r1": 40.0})
    board = build_leaderboard(load_results(tmp_path / "r"), load_references())
    assert "### Compositional" not in board.split("## Reported")[0]
    reported = board.split("SugarCrepe: Fixing Hackable Benchmarks")[1].split("### Reported")[0]
    assert "| CLIP ViT-L-14 (OpenAI) | `clip-L` |" in reported and "94.1" in reported


def test_the_gate_reads_selection_metrics(tmp_path, write):
    from longbench.report import gate

    fields = {"kind": "selection", "counts": {"items": 400, "exact_ties": 0}}
    write("base", "m", "winoground", {"text_score": 30.0, "image_score": 10.0, "group_score": 8.0}, **fields)
    write("cand", "m", "winoground", {"text_score": 31.0, "image_score": 10.0, "group_score": 5.0}, **fields)
    verdict = gate(load_results(tmp_path / "base"), load_results(tmp_path / "cand"), 1.0)
    assert verdict.exit_code != 0
    assert [row.metric for row in verdict.rows if row.status == "fail"] == ["group_score"]


def test_the_web_leaderboard_shows_the_compositional_table_with_its_own_ranks(tmp_path, sugarcrepe, write):
    """The site draws the group from the same board: pooled category cells (linked to no one file, their tasks named),
    the subsets' cells linked to their files, ranks and mean rank within the table, the pooled tasks in its notes."""
    sugarcrepe("a", {s: 60.0 for s in SUBSETS})
    sugarcrepe("b", {s: 50.0 for s in SUBSETS})
    write("r", "b", "urban1k", {"i2t_r1": 50.0, "t2i_r1": 40.0})
    index = build_site(load_results(tmp_path / "r"), [])["index.html"].decode()
    section = index.split('<section class="group" id="compositional"')[1].split("</section>")[0]
    assert ">Compositional</h2>" in section and ">SugarCrepe Replace</button>" in section
    replace = section.split('data-task="sugarcrepe-replace_obj + sugarcrepe-replace_att + sugarcrepe-replace_rel"')
    assert len(replace) == 3  # one pooled cell per model
    cell = replace[1].split("</td>")[0]
    assert cell.endswith('>60.0</span> <span class="rank">(1)</span>') and "<a " not in cell
    assert 'href="files/a/sugarcrepe-add_att.json"' in section
    assert section.index(">a</a>") < section.index(">b</a>")  # a ranks first in this table
    assert "the items of " in section and "pooled" in section
