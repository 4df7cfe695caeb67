"""leaderboard.md: columns, protocol marks, ranks, reported block, differences, stability."""

from __future__ import annotations

from typer.testing import CliRunner

from longbench.artifacts.results import SCHEMA_VERSION
from longbench.cli import app
from longbench.report import build_leaderboard, load_references, load_results
from longbench.report.tables import MISSING
from tests.helpers.results import retrieval

runner = CliRunner()


def _table(text: str, first_header: str) -> list[list[str]]:
    """The rows (cells) of the first markdown table whose header starts with `first_header`, header included."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return [rows[0], *rows[2:]]


def _measured(tmp_path, write, write_probe):
    write("r", "longclip-B", "urban1k", retrieval(80.0, 79.0))
    write("r", "longclip-B", "flickr30k-full", retrieval(47.0, 34.0))
    write("r", "longclip-B", "imagenet", {"acc1": 66.0})
    write("r", "clip-B", "urban1k", retrieval(67.5, 60.0))
    write("r", "clip-B", "coco", retrieval(50.0, 30.0), limit=200)
    write("r", "clip-B", "imagenet", {"acc1": 68.4})
    write("r", "toy", "urban1k", retrieval(67.5, 10.0))
    write_probe("r", "longclip-B", "urban1k", "tokens", 60, None)
    return build_leaderboard(load_results(tmp_path / "r"), load_references())


def test_main_table_has_grouped_columns_in_order(tmp_path, write, write_probe):
    text = _measured(tmp_path, write, write_probe)
    assert _table(text, "Model")[0] == [
        "Model", "Licence",
        "Urban1k I2T", "Urban1k T2I", "ShareGPT4V-1k I2T", "ShareGPT4V-1k T2I",
        "DOCCI I2T", "DOCCI T2I", "DCI I2T", "DCI T2I", "Long-DCI I2T", "Long-DCI T2I", "IIW I2T", "IIW T2I",
        "COCO I2T", "COCO T2I", "Flickr30k I2T", "Flickr30k T2I",
        "ImageNet", "CIFAR-10", "CIFAR-100", "ObjectNet",
        "Eff. length (tokens)", "Eff. length (words)", "Mean rank",
    ]  # fmt: skip
    assert ("**Long retrieval**: Urban1k, ShareGPT4V-1k, DOCCI, DCI, Long-DCI, IIW; **Short retrieval**: COCO, "
            "Flickr30k; **Zero-shot**") in text
    licences = {r[0]: r[1] for r in _table(text, "Model")[1:]}
    assert licences == {"longclip-B": "Apache-2.0", "clip-B": "MIT", "toy": MISSING}  # as the result files record


def test_other_protocols_and_subsets_are_marked_and_not_ranked(tmp_path, write, write_probe):
    text = _measured(tmp_path, write, write_probe)
    rows = {r[0]: dict(zip(_table(text, "Model")[0], r, strict=True)) for r in _table(text, "Model")[1:]}
    assert rows["longclip-B"]["Flickr30k I2T"] == "47.0<sup>c</sup>"  # flickr30k-full, not Karpathy 1k
    assert rows["clip-B"]["COCO I2T"] == "50.0<sup>L</sup>"  # --limit subset
    assert "<sup>c</sup> task `flickr30k-full`" in text and "<sup>L</sup> measured on a subset" in text


def test_ranks_ties_and_mean_rank(tmp_path, write, write_probe):
    text = _measured(tmp_path, write, write_probe)
    rows = {r[0]: dict(zip(_table(text, "Model")[0], r, strict=True)) for r in _table(text, "Model")[1:]}
    assert rows["longclip-B"]["Urban1k I2T"] == "80.0 (1)"
    assert rows["clip-B"]["Urban1k I2T"] == rows["toy"]["Urban1k I2T"] == "67.5 (2)"  # tie
    assert rows["clip-B"]["Urban1k T2I"] == "60.0 (2)" and rows["toy"]["Urban1k T2I"] == "10.0 (3)"
    assert rows["longclip-B"]["ImageNet"] == "66.0 (2)" and rows["clip-B"]["ImageNet"] == "68.4 (1)"
    # longclip-B: 1, 1, 2 -> 1.33 over 3 columns; clip-B: 2, 2, 1; toy: 2, 3.
    assert rows["longclip-B"]["Mean rank"] == "1.33 (3)"
    assert rows["clip-B"]["Mean rank"] == "1.67 (3)"
    assert rows["toy"]["Mean rank"] == "2.50 (2)"
    assert [r[0] for r in _table(text, "Model")[1:]] == ["longclip-B", "clip-B", "toy"]  # sorted by mean rank
    assert rows["longclip-B"]["Eff. length (tokens)"] == "60 / none"


def test_second_table_has_recall_at_5_and_10(tmp_path, write, write_probe):
    text = _measured(tmp_path, write, write_probe)
    second = text.split("### Recall@5 and Recall@10")[1]
    header = _table(second, "Model")[0]
    assert "Urban1k I2T R@5" in header and "Flickr30k T2I R@10" in header and "ImageNet" not in header


def test_every_cell_is_traceable_to_file_and_protocol(tmp_path, write, write_probe):
    text = _measured(tmp_path, write, write_probe)
    sources = _table(text.split("### Where each number comes from")[1], "Model")
    assert [
        "longclip-B",
        "Flickr30k",
        "flickr30k-full",
        "1",
        "flickr30k full",
        "–",
        "longclip-B/flickr30k-full.json",
    ] in sources
    assert ["clip-B", "COCO", "coco", "1", "coco val2017 5k", "200", "clip-B/coco.json"] in sources
    assert str(tmp_path) not in text  # relative paths only


def test_reference_block_is_labelled_reported_with_sources(tmp_path, write, write_probe):
    text = _measured(tmp_path, write, write_probe)
    reported = text.split("## Reported reference numbers (reported by papers, not measured here)")[1]
    assert "https://arxiv.org/abs/2403.15378" in reported and "https://arxiv.org/abs/2411.04997" in reported
    longclip_paper = _table(reported, "Model (as reported)")
    row = next(r for r in longclip_paper if r[0] == "Long-CLIP-B")
    assert row[1] == "`longclip-B`" and row[2] == "79.5<sup>a</sup>"  # Urban-200 in the Urban1k column: marked
    assert "(1)" not in reported.split("## Measured − reported")[0]  # reported rows are not ranked


def test_differences_only_where_model_and_protocol_match(tmp_path, write, write_probe):
    text = _measured(tmp_path, write, write_probe)
    diff = _table(text.split("## Measured − reported")[1], "Source")[1:]
    keyed = {(r[0], r[1], r[2], r[3]): r[4:] for r in diff}
    assert keyed[("llm2clip-reeval", "longclip-B", "urban1k", "i2t_r1")] == [
        "80.0",
        "79.1",
        "+0.9",
        "longclip-B/urban1k.json",
    ]
    assert keyed[("longclip-paper", "longclip-B", "flickr30k-full", "t2i_r1")][2] == "-0.1"
    assert keyed[("longclip-paper", "clip-B", "imagenet", "acc1")][2] == "+0.0"
    assert not any(k[2] == "coco" for k in keyed)  # the clip-B coco result is a --limit subset
    assert not any(k[1] == "toy" for k in keyed)


def test_cli_output_is_byte_identical_on_rerun(tmp_path, write, write_probe):
    _measured(tmp_path, write, write_probe)
    outs = []
    for name in ("a.md", "b.md"):
        result = runner.invoke(app, ["leaderboard", "--results", str(tmp_path / "r"), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    assert b"longbench leaderboard --results results --out leaderboard.md" in outs[0]


def test_empty_results_give_the_reference_block_only(tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["leaderboard", "--results", str(tmp_path / "empty")])
    assert result.exit_code == 0, result.output
    assert "No measured results yet" in result.output and "Long-CLIP-L" in result.output
    assert "<sup>a</sup> task `urban-200`" in result.output  # the marks used by the reported rows are explained
    assert "(1)" not in result.output and "No measured result matches a reported row" in result.output


def test_unknown_schema_version_exits_2_with_one_line(tmp_path, write):
    path = write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    path.write_text(path.read_text().replace(f'"schema_version": {SCHEMA_VERSION}', '"schema_version": 99'))
    result = runner.invoke(app, ["leaderboard", "--results", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "schema_version 99 was written by a newer longbench" in result.output and "Traceback" not in result.output


def test_a_partial_copy_of_a_dataset_is_marked_as_a_subset(tmp_path, write):
    """No --limit, but fewer images than the protocol's (a partial download): marked, not ranked."""
    write("r", "clip-B", "urban1k", retrieval(67.5, 60.0), expected_images=1000, n_images=990, subset=True)
    write("r", "longclip-B", "urban1k", retrieval(79.0, 79.0), expected_images=1000, n_images=1000)
    text = build_leaderboard(load_results(tmp_path / "r"), load_references())
    rows = {r[0]: dict(zip(_table(text, "Model")[0], r, strict=True)) for r in _table(text, "Model")[1:]}
    assert rows["clip-B"]["Urban1k I2T"] == "67.5<sup>L</sup>"
    assert rows["longclip-B"]["Urban1k I2T"] == "79.0 (1)"


def test_the_repository_leaderboard_is_what_the_command_generates(tmp_path):
    """leaderboard.md holds no number that was not generated: it equals the output for an empty results folder."""
    from pathlib import Path

    from typer.testing import CliRunner

    from longbench.cli import app

    (tmp_path / "results").mkdir()
    out = tmp_path / "leaderboard.md"
    result = CliRunner().invoke(app, ["leaderboard", "--results", str(tmp_path / "results"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    committed = Path(__file__).resolve().parents[2] / "leaderboard.md"
    assert committed.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_each_dci_variant_keeps_its_own_column(tmp_path, write):
    """A dci-long or dci-fgclip result never fills the DCI column, and reported dci-long numbers sit only under
    Long-DCI: the three "DCI" protocols are never mixed."""
    write("r", "clip-B", "dci-long", retrieval(35.5, 33.5))
    write("r", "clip-L", "dci-fgclip", retrieval(30.0, 29.0))
    text = build_leaderboard(load_results(tmp_path / "r"), load_references())
    rows = {r[0]: dict(zip(_table(text, "Model")[0], r, strict=True)) for r in _table(text, "Model")[1:]}
    assert rows["clip-B"]["Long-DCI I2T"] == "35.5 (1)" and rows["clip-B"]["DCI I2T"] == "–"
    assert all(value == "–" for key, value in rows["clip-L"].items() if key != "Model")
    himo = _table(text.split("### Reported: HiMo-CLIP")[1], "Model (as reported)")
    clip = dict(zip(himo[0], next(r for r in himo[1:] if r[1] == "`clip-B`"), strict=True))
    assert clip["Long-DCI I2T"] == "35.0" and clip["Long-DCI T2I"] == "33.1"
    assert clip["DCI I2T"] == clip["DCI T2I"] == "–"
    lotlip = _table(text.split("### Reported: LoTLIP")[1], "Model (as reported)")
    clip = dict(zip(lotlip[0], next(r for r in lotlip[1:] if r[1] == "`clip-B`"), strict=True))
    assert clip["DCI I2T"] == "45.5" and clip["Long-DCI I2T"] == "–" and clip["IIW T2I"] == "87.6"
    assert "| himo-clip-table1 | clip-B | dci-long | i2t_r1 | 35.5 | 35.0 | +0.5 |" in text


def test_secondary_transcriptions_are_labelled(tmp_path):
    (tmp_path / "r").mkdir()
    text = build_leaderboard(load_results(tmp_path / "r"), load_references())
    assert "### Reported (secondary transcription): DeBias-CLIP" in text
    assert "### Reported (secondary transcription): LLM2CLIP (Huang et al.), Table 2" in text
    assert "### Reported: LoTLIP" in text and "### Reported: HiMo-CLIP" in text


def test_a_non_finite_value_is_shown_invalid_not_missing_and_never_ranked(tmp_path, write):
    from longbench.report.tables import INVALID

    write("results", "broken", "urban1k", retrieval(float("nan"), float("inf")))
    write("results", "fine", "urban1k", retrieval(50.0, 40.0))
    text = build_leaderboard(load_results([tmp_path / "results"]), [])
    rows = {r[0]: dict(zip(_table(text, "Model")[0], r, strict=True)) for r in _table(text, "Model")[1:]}
    assert rows["broken"]["Urban1k I2T"] == INVALID and rows["broken"]["Urban1k T2I"] == INVALID
    assert rows["broken"]["Mean rank"] == "–"
    assert rows["fine"]["Urban1k I2T"] == "50.0 (1)"
    assert f"- {INVALID} in place of a number" in text


def test_an_older_task_version_is_marked_and_not_ranked(tmp_path, write):
    write("r", "clip-B", "urban1k", retrieval(90.0, 90.0), task_version=1)
    write("r", "longclip-B", "urban1k", retrieval(80.0, 79.0), task_version=2)
    write("r", "toy", "urban1k", retrieval(70.0, 60.0), task_version=2)
    text = build_leaderboard(load_results(tmp_path / "r"), load_references())
    rows = {r[0]: dict(zip(_table(text, "Model")[0], r, strict=True)) for r in _table(text, "Model")[1:]}
    assert rows["clip-B"]["Urban1k I2T"] == "90.0<sup>V</sup>"  # best value, but measured under version 1
    assert rows["longclip-B"]["Urban1k I2T"] == "80.0 (1)" and rows["toy"]["Urban1k I2T"] == "70.0 (2)"
    assert "<sup>V</sup> measured under an older version of its task" in text
    sources = _table(text.split("### Where each number comes from")[1], "Model")
    assert ["clip-B", "Urban1k", "urban1k", "1", "urban1k: 1000 pairs 1:1", "–", "clip-B/urban1k.json"] in sources


def test_a_subset_never_hides_a_full_result_of_the_same_model_and_task(tmp_path, write):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0), created="2024-05-01T00:00:00+00:00")
    write("r2", "clip-B", "urban1k", retrieval(10.0, 10.0), created="2024-06-01T00:00:00+00:00", limit=3)
    text = build_leaderboard(load_results([tmp_path / "r", tmp_path / "r2"]), load_references())
    header, *rows = _table(text, "Model")
    assert dict(zip(header, rows[0], strict=True))["Urban1k I2T"] == "60.0 (1)"
    assert "- `r2/clip-B/urban1k.json` (superseded by `r/clip-B/urban1k.json`)" in text


def test_version_1_files_appear_in_the_leaderboard():
    from pathlib import Path

    fixtures = Path(__file__).parents[1] / "fixtures" / "results" / "v1"
    result = runner.invoke(app, ["leaderboard", "--results", str(fixtures)])
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in _table(result.output, "Model")[1:]}
    assert set(rows) == {"tiny-clip", "tiny-longclip"}
    assert "tiny-clip/urban1k.json" in result.output and "tiny-longclip/cifar10.json" in result.output


def test_the_markdown_equals_the_golden_page(tmp_path, write, write_probe):
    """Every rule at once (marks a/b/c, L, V, ✗, ties, probes, duplicates, reported rows, differences): the page is
    byte-identical to the one committed in tests/fixtures/leaderboard/golden.md (regenerate it only on purpose)."""
    from .golden import FIXTURES, REFERENCES, write_golden_results

    roots = write_golden_results(write, write_probe)
    text = build_leaderboard(load_results([tmp_path / r for r in roots]), load_references(REFERENCES))
    assert text == (FIXTURES / "golden.md").read_text(encoding="utf-8")


def test_imported_results_get_their_own_table_unranked_and_never_compared(tmp_path, write):
    from tests.helpers.results import IMPORTED_FROM

    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    write("r", "longclip-B", "urban1k", retrieval(79.0, 79.0), origin=IMPORTED_FROM)
    text = build_leaderboard(load_results(tmp_path / "r"), load_references())
    measured = {r[0] for r in _table(text, "Model")[1:]}
    assert measured == {"clip-B"}
    imported = _table(text.split("## Imported (measured by other tools, not by longbench)")[1], "Model")
    assert imported[0][:3] == ["Model", "Measured by", "Urban1k I2T"]
    assert imported[1][:3] == ["longclip-B", "clip_benchmark 1.6.1", "79.0"]  # no rank
    assert "| longclip-B | urban1k |" not in text.split("## Measured − reported")[1]
    assert "longclip-B/urban1k.json" in text.split("### Where each number comes from")[1]  # still traceable


def test_only_imported_results_still_say_nothing_was_measured(tmp_path, write):
    from tests.helpers.results import IMPORTED_FROM

    write("r", "longclip-B", "urban1k", retrieval(79.0, 79.0), origin=IMPORTED_FROM)
    text = build_leaderboard(load_results(tmp_path / "r"), [])
    assert "No measured results yet" in text and "## Imported" in text
