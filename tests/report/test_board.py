"""The table model both leaderboards render: rows by origin, cells with marks, ranks and intervals."""

from __future__ import annotations

from longbench.metrics.registry import _METRICS, Metric, recall_name
from longbench.report import load_references, load_results
from longbench.report.board import IMPORTED, MEASURED, REPORTED, build_board
from longbench.report.columns import DATASETS, GROUPS, MAIN_METRICS, Column, columns, probe_group
from tests.helpers.results import IMPORTED_FROM, retrieval

from .golden import REFERENCES

URBAN_I2T = Column(DATASETS[0], recall_name("i2t", 1))


def test_rows_are_told_apart_by_origin(tmp_path, write, write_probe):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    write("r", "longclip-B", "urban1k", retrieval(99.0, 99.0), origin=IMPORTED_FROM)
    write_probe("r", "probe-only", "urban1k", "tokens", 20, 30)
    board = build_board(load_results(tmp_path / "r"), load_references(REFERENCES), MAIN_METRICS)
    assert [r.model for r in board.rows_of(MEASURED)] == ["clip-B", "probe-only"]
    imported = board.rows_of(IMPORTED)
    assert [(r.model, r.source) for r in imported] == [("longclip-B", "clip_benchmark 1.6.1")]
    assert [(r.label, r.source) for r in board.rows_of(REPORTED)] == [
        ("Long-CLIP-B", "paper-a"), ("CLIP ViT-B/16", "paper-a"), ("Toy model", "review-b")]


def test_imported_rows_are_never_ranked_and_never_move_a_measured_rank(tmp_path, write):
    write("r", "clip-B", "urban1k", retrieval(60.0, 50.0))
    write("r", "longclip-B", "urban1k", retrieval(99.0, 99.0), origin=IMPORTED_FROM)
    board = build_board(load_results(tmp_path / "r"), [], MAIN_METRICS)
    measured, imported = board.rows_of(MEASURED)[0], board.rows_of(IMPORTED)[0]
    assert measured.cells[URBAN_I2T].rank == 1
    assert imported.cells[URBAN_I2T].value == 99.0 and imported.cells[URBAN_I2T].rank is None
    assert imported.mean_rank(board.columns) is None


def test_cells_keep_their_task_record_and_interval(tmp_path, write):
    write("r", "clip-B", "urban-200", retrieval(46.0, 45.0), ci={"i2t_r1": [44.0, 48.5]})
    board = build_board(load_results(tmp_path / "r"), [], MAIN_METRICS)
    cell = board.rows_of(MEASURED)[0].cells[URBAN_I2T]
    assert (cell.task, cell.marks, cell.ci, cell.rank) == ("urban-200", "a", (44.0, 48.5), None)
    assert cell.record is not None and cell.record.path == "clip-B/urban-200.json"


def test_mean_rank_is_over_the_columns_asked_for(tmp_path, write):
    write("r", "a", "urban1k", retrieval(90.0, 90.0))
    write("r", "a", "imagenet", {"acc1": 10.0})
    write("r", "b", "urban1k", retrieval(80.0, 80.0))
    write("r", "b", "imagenet", {"acc1": 20.0})
    board = build_board(load_results(tmp_path / "r"), [], MAIN_METRICS)
    zero_shot = [c for c in board.columns if c.dataset.group.name == "Zero-shot"]
    assert [r.model for r in board.rows_of(MEASURED)] == ["a", "b"]  # 1, 1, 2 against 2, 2, 1
    assert [r.model for r in board.rows_of(MEASURED, zero_shot)] == ["b", "a"]
    assert board.rows_of(MEASURED)[0].mean_rank(zero_shot) == (2.0, 1)


def test_a_lower_is_better_metric_ranks_its_smallest_value_first(tmp_path, write, monkeypatch):
    monkeypatch.setitem(_METRICS, "median_rank", Metric("median_rank", "median rank", "the median rank of the "
                                                        "relevant item", ("retrieval",), higher_is_better=False,
                                                        scale="rank"))
    write("r", "a", "urban1k", {"median_rank": 3.0})
    write("r", "b", "urban1k", {"median_rank": 1.0})
    board = build_board(load_results(tmp_path / "r"), [], {"retrieval": ("median_rank",)})
    column = Column(DATASETS[0], "median_rank")
    assert {r.model: r.cells[column].rank for r in board.rows_of(MEASURED)} == {"a": 2, "b": 1}


def test_every_dataset_belongs_to_a_listed_group():
    assert {d.group for d in DATASETS} <= set(GROUPS)
    assert len({g.slug for g in GROUPS}) == len(GROUPS)
    assert probe_group() in GROUPS
    assert {c.dataset.group for c in columns(MAIN_METRICS)} == set(GROUPS)


def test_a_model_measured_and_imported_on_one_task_gets_both_rows(tmp_path, write):
    write("a", "clip-B", "urban1k", retrieval(60.0, 50.0), created="2024-01-01T00:00:00+00:00")
    write("b", "clip-B", "urban1k", retrieval(70.0, 60.0), created="2025-01-01T00:00:00+00:00",
          origin=IMPORTED_FROM)
    board = build_board(load_results([tmp_path / "a", tmp_path / "b"]), [], MAIN_METRICS)
    assert board.rows_of(MEASURED)[0].cells[URBAN_I2T].value == 60.0
    assert board.rows_of(IMPORTED)[0].cells[URBAN_I2T].value == 70.0
