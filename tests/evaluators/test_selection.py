"""The selection evaluator end to end: every compositional task's numbers against an independent computation from
embeddings taken one item at a time straight from the adapter, each benchmark's rule written out from its
definition (exact ties included: the samples hold an item whose negative equals its caption); each distinct
caption encoded once; bootstrap, --limit, cache, skipped images, and bad input at the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.cli import app
from longbench.datasets import LoadOptions
from longbench.encode import Encoder
from longbench.runner import RunConfig, run
from longbench.tasks import get_task, resolve_tasks
from tests.helpers.samples import write_samples

TASKS = "sugarcrepe-swap_obj,sugarcrepe-add_att,sugarcrepe-pp-replace_rel,winoground,aro-vg-relation"


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    data = write_samples(tmp_path_factory.mktemp("data"), TASKS, 10, seed=5)
    runs = run("tiny-clip", TASKS, RunConfig(data_root=data, output=tmp_path_factory.mktemp("out"), device="cpu",
                                             progress=False, batch_size=4, cache=False))
    return data, {r.task: r.result for r in runs}


def _normal(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x)


def _embedders():
    adapter = load_model("tiny-clip")

    def image(picture: Image.Image) -> np.ndarray:
        return _normal(adapter.encode_image(adapter.preprocess(picture.convert("RGB"))[None]).numpy()[0])

    def text(caption: str) -> np.ndarray:
        return _normal(adapter.encode_text(adapter.tokenize([caption])).numpy()[0])
    return image, text


def _independent(name: str, root: Path) -> dict[str, float]:
    """Each item from the task's own files, its rule written from the benchmark's definition."""
    image, text = _embedders()
    task_root = get_task(name).root(root)
    if name.startswith("sugarcrepe-pp-"):
        rows = json.loads((task_root / "data" / f"{name.removeprefix('sugarcrepe-pp-')}.json").read_text())
        itt, tot = [], []
        for row in rows:
            i = image(Image.open(root / "coco" / "val2017" / row["filename"]))
            p1, p2, neg = (text(row[k]) for k in ("caption", "caption2", "negative_caption"))
            itt.append(i @ p1 > i @ neg and i @ p2 > i @ neg)
            tot.append(p1 @ p2 > p1 @ neg and p1 @ p2 > p2 @ neg)
        return {"itt_acc": 100 * np.mean(itt), "tot_acc": 100 * np.mean(tot)}
    if name.startswith("sugarcrepe-"):
        rows = json.loads((task_root / "data" / f"{name.removeprefix('sugarcrepe-')}.json").read_text()).values()
        right = []
        for row in rows:
            i = image(Image.open(root / "coco" / "val2017" / row["filename"]))
            right.append(i @ text(row["caption"]) > i @ text(row["negative_caption"]))  # main_eval.py
        return {"text_acc": 100 * np.mean(right)}
    if name == "winoground":
        import zipfile
        archive = zipfile.ZipFile(task_root / "data" / "images.zip")
        scores = {"text_score": [], "image_score": [], "group_score": []}
        for line in (task_root / "data" / "examples.jsonl").read_text().splitlines():
            row = json.loads(line)
            i0, i1 = (image(Image.open(archive.open(f"images/{row[f'image_{k}']}.png"))) for k in (0, 1))
            c0, c1 = text(row["caption_0"]), text(row["caption_1"])
            t = c0 @ i0 > c1 @ i0 and c1 @ i1 > c0 @ i1
            m = c0 @ i0 > c0 @ i1 and c1 @ i1 > c1 @ i0
            for key, value in (("text_score", t), ("image_score", m), ("group_score", t and m)):
                scores[key].append(value)
        return {key: 100 * np.mean(values) for key, values in scores.items()}
    entries = json.loads((task_root / "visual_genome_relation.json").read_text())
    right, groups = [], {}
    for entry in entries:
        picture = Image.open(task_root / "images" / entry["image_path"]).convert("RGB")
        crop = picture.crop((entry["bbox_x"], entry["bbox_y"], entry["bbox_x"] + entry["bbox_w"],
                             entry["bbox_y"] + entry["bbox_h"]))
        i = image(crop)
        ok = np.argmax([i @ text(entry["false_caption"]), i @ text(entry["true_caption"])]) == 1
        right.append(ok)
        groups.setdefault(entry["relation_name"], []).append(ok)
    kept = [np.mean(v) for k, v in sorted(groups.items()) if k not in ("next to", "by", "of", "with", "near")]
    return {"text_acc": 100 * np.mean(right), "macro_acc": 100 * np.mean(kept)}


@pytest.mark.parametrize("name", TASKS.split(","))
def test_numbers_equal_an_independent_computation(measured, name):
    data, results = measured
    expected = _independent(name, data)
    assert results[name].metrics == pytest.approx(expected, abs=1e-9)
    assert results[name].task.kind == "selection" and results[name].task.counts["items"] == 10


def test_ties_are_counted_and_decided_as_the_authors(measured):
    _, results = measured
    # The samples' item 1 has its negative equal to its caption: one row, so an exact tie, counted wrong.
    result = results["sugarcrepe-swap_obj"]
    assert result.task.counts["exact_ties"] >= 1
    assert any("exact score tie" in w for w in result.task.warnings)
    vg = results["aro-vg-relation"]
    assert vg.task.counts["exact_ties"] >= 1
    assert set(vg.breakdowns["relation"]) == {"on", "behind", "next to", "holding"}
    wino = results["winoground"]
    assert set(wino.breakdowns) == {"collapsed_tag", "num_main_preds"}
    assert sum(group["items"] for group in wino.breakdowns["collapsed_tag"].values()) == 10


def test_each_distinct_caption_and_image_is_encoded_once(tmp_path, monkeypatch):
    write_samples(tmp_path, "sugarcrepe-swap_att", 6, seed=0)
    seen_texts, seen_images = [], []
    texts, start_images = Encoder.texts, Encoder.start_images
    monkeypatch.setattr(Encoder, "texts", lambda self, t, *a, **k: (seen_texts.extend(t), texts(self, t, *a, **k))[1])
    monkeypatch.setattr(Encoder, "start_images",
                        lambda self, i, *a, **k: (seen_images.extend(i), start_images(self, i, *a, **k))[1])
    run("tiny-clip", "sugarcrepe-swap_att", RunConfig(data_root=tmp_path, output=tmp_path / "out", device="cpu",
                                                      progress=False, cache=False))
    dataset = get_task("sugarcrepe-swap_att").load(tmp_path / "sugar-crepe", LoadOptions())
    assert len(seen_texts) == len(set(seen_texts)) == len(dataset.texts) < 2 * len(dataset.item_ids)
    assert len(seen_images) == len(set(seen_images)) == 3  # 6 items on 3 pictures


def test_bootstrap_limit_cache_and_skipped_images(tmp_path):
    write_samples(tmp_path / "data", "winoground,sugarcrepe-replace_rel", 12, seed=2)
    config = RunConfig(data_root=tmp_path / "data", output=tmp_path / "out", device="cpu", progress=False,
                       bootstrap=200, seed=3, cache_dir=tmp_path / "cache")
    first = {r.task: r.result for r in run("tiny-clip", "winoground,sugarcrepe-replace_rel", config)}
    wino = first["winoground"]
    assert set(wino.ci) == {"text_score", "image_score", "group_score"}
    assert all(low <= wino.metrics[m] <= high for m, (low, high) in wino.ci.items())
    again = {r.task: r.result for r in run("tiny-clip", "winoground", RunConfig(
        data_root=tmp_path / "data", output=tmp_path / "again", device="cpu", progress=False, bootstrap=200, seed=3,
        cache_dir=tmp_path / "cache"))}
    assert again["winoground"].metrics == wino.metrics and again["winoground"].ci == wino.ci
    assert again["winoground"].environment["embedding_cache"].startswith("image batches")
    limited = run("tiny-clip", "winoground", RunConfig(data_root=tmp_path / "data", output=tmp_path / "lim",
                                                       device="cpu", progress=False, limit=4))[0].result
    assert limited.task.counts["items"] == 4 and limited.task.subset and limited.task.n_images == 8
    picture = sorted((tmp_path / "data" / "coco" / "val2017").glob("*.jpg"))[0]
    picture.write_bytes(b"not an image")
    skipped = run("tiny-clip", "sugarcrepe-replace_rel", RunConfig(
        data_root=tmp_path / "data", output=tmp_path / "skip", device="cpu", progress=False,
        skip_bad_images=True))[0].result
    assert skipped.task.counts["items_of_skipped_images"] == 2 and skipped.task.counts["items"] == 10
    assert skipped.task.skipped and picture.name in skipped.task.skipped[0]


def test_bad_pairs_file_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "bad.jsonl").write_text('{"image": "images/1.jpg", "caption": "a", "negatives": []}\n')
    result = CliRunner().invoke(app, ["run", "--model", "tiny-clip", "--tasks", f"pairs:{tmp_path / 'bad.jsonl'}",
                                      "--output", str(tmp_path / "out"), "--device", "cpu"])
    assert result.exit_code == 2, result.output
    assert "at least one negative" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json"))


def test_pairs_end_to_end(tmp_path):
    task = get_task(f"pairs:{tmp_path / 'long.jsonl'}")
    task.write_sample(tmp_path, 5)
    result = run("tiny-longclip", [task], RunConfig(output=tmp_path / "out", device="cpu", progress=False))[0].result
    image, text = _embedders_long()
    right = []
    for line in (tmp_path / "long.jsonl").read_text().splitlines():
        row = json.loads(line)
        i = image(Image.open(tmp_path / row["image"]))
        right.append(all(i @ text(row["caption"]) > i @ text(n) for n in row["negatives"]))
    assert result.metrics == pytest.approx({"text_acc": 100 * np.mean(right)})
    assert result.task.name == "long" and result.truncation.n_texts == len(get_task(
        f"pairs:{tmp_path / 'long.jsonl'}").load(tmp_path, LoadOptions()).texts)


def _embedders_long():
    adapter = load_model("tiny-longclip")
    return (lambda p: _normal(adapter.encode_image(adapter.preprocess(p.convert("RGB"))[None]).numpy()[0]),
            lambda c: _normal(adapter.encode_text(adapter.tokenize([c])).numpy()[0]))


def test_every_compositional_task_writes_a_sample_that_loads(tmp_path):
    for task in resolve_tasks("compositional"):
        if task.unavailable() is None:
            task.write_sample(task.root(tmp_path), 6)
            assert task.load(task.root(tmp_path), LoadOptions()).item_ids
