"""Your own data as a task: `jsonl:`, `csv:` and `folder:` through `run`, and their bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.artifacts.results import read_result
from longbench.cli import app
from longbench.datasets import LoadOptions
from longbench.errors import DataError, UnknownNameError
from longbench.tasks import get_task, resolve_tasks
from tests.reference_metrics import independent_metrics

runner = CliRunner()


def sample(tmp_path: Path, spec: str, n: int = 6) -> str:
    """Write a sample of `spec` (e.g. 'jsonl:data/mine.jsonl' under tmp_path) and return the absolute spec."""
    prefix, _, rel = spec.partition(":")
    full = f"{prefix}:{tmp_path / rel}"
    task = get_task(full)
    task.write_sample(task.root(None), n)
    return full


@pytest.mark.parametrize("spec", ["jsonl:d/mine.jsonl", "csv:d/mine.csv", "csv:d/mine.tsv", "folder:d/mine"])
def test_run_on_own_data_equals_an_independent_computation(tmp_path, spec):
    full = sample(tmp_path, spec)
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", full, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    res = read_result(out / "tiny-clip" / "mine.json")
    assert res.task.name == "mine" and res.task.fingerprint.startswith("sha256:")
    assert res.task.n_images == 6
    # jsonl and csv samples give image 2 a second caption; a folder holds one caption per image.
    assert res.task.n_texts == (6 if spec.startswith("folder") else 7)
    assert not res.task.subset and res.task.expected_images is None
    expected = independent_metrics("tiny-clip", full, None)
    for name, value in expected.items():
        assert res.metrics[name] == pytest.approx(value, abs=1e-9), name


def test_several_rows_of_one_image_are_grouped_in_first_row_order(tmp_path):
    full = sample(tmp_path, "jsonl:mine.jsonl", 3)
    path = Path(full.partition(":")[2])
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows.insert(0, {"image": "images/3.jpg", "captions": ["first of three", "second of three"]})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ds = get_task(full).load(path.parent, LoadOptions())
    assert ds.image_ids == ["images/3.jpg", "images/1.jpg", "images/2.jpg"]
    assert ds.texts[:2] == ["first of three", "second of three"]
    assert ds.text_to_image.tolist()[:3] == [0, 0, 0] and len(ds.texts) == 6


def test_folder_with_captions_beside_the_images(tmp_path):
    from longbench.data.synthetic import write_image

    folder = tmp_path / "flat"
    for i, suffix in ((1, "jpg"), (2, "jpg"), (10, "png")):
        write_image(folder / f"{i}.{suffix}", i)
        (folder / f"{i}.txt").write_text(f"caption {i}\n")
    (folder / "notes.md").write_text("not an image or a caption")
    ds = get_task(f"folder:{folder}").load(folder, LoadOptions())
    assert ds.image_ids == ["1.jpg", "2.jpg", "10.png"]  # numeric stem order, any image suffix
    assert ds.texts == ["caption 1", "caption 2", "caption 10"]


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path / name)


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.jsonl", '{"image": "a.jpg", "caption": "x"}\n{not json\n', "bad.jsonl line 2: not valid JSON"),
    ("bad.jsonl", '{"caption": "x"}\n', "bad.jsonl line 1: expected an object with an 'image' path string"),
    ("bad.jsonl", '{"image": "a.jpg", "caption": 3}\n', "expected 'caption' (a string) or 'captions'"),
    ("bad.jsonl", '{"image": "../outside.jpg", "caption": "x"}\n', "must stay inside"),
    ("bad.jsonl", '{"image": "/etc/passwd", "caption": "x"}\n', "must stay inside"),
    ("bad.jsonl", '{"image": "missing.jpg", "caption": "x"}\n', "missing.jpg not found"),
    ("bad.jsonl", '{"image": "a.jpg", "caption": "   "}\n', "holds no image with a non-empty caption"),
    ("bad.csv", "picture,text\na.jpg,x\n", "expected a header with the columns 'image' and 'caption' "
                                           "(comma-separated), found 'picture', 'text'"),
    ("bad.csv", "image,caption\na.jpg\n", "bad.csv line 2: 1 fields for the 2 columns of the header; every row "
                                          "needs a value for each column"),
    ("bad.csv", "image,caption\n1.jpg,A man, a dog and a cat on a red sofa\n", "bad.csv line 2: 3 fields for the "
     "2 columns of the header; quote a value that holds a comma separator"),
    ("bad.csv", 'image,caption\n1.jpg,"A man\n2.jpg,a dog\n', "bad.csv line 2: a quoted field is never closed"),
    ("bad.csv", "image,caption,caption\n1.jpg,a,b\n", "the header names the column 'caption' more than once"),
    ("bad.jsonl", '{"image": "a.jpg", "caption": "x", "captions": ["y"]}\n', "bad.jsonl line 1: has both 'caption' "
     "and 'captions'; give one"),
    ("bad.csv", "", "found no header"),
])
def test_bad_rows_give_one_line_errors_through_the_cli(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", "-m", "tiny-clip", "-t", f"{name.rsplit('.')[1]}:{path}", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not out.exists()


def test_empty_captions_are_dropped_and_counted_and_missing_images_skipped_on_request(tmp_path):
    full = sample(tmp_path, "jsonl:mine.jsonl", 4)
    path = Path(full.partition(":")[2])
    with path.open("a") as fh:
        fh.write(json.dumps({"image": "images/1.jpg", "caption": ""}) + "\n")
        fh.write(json.dumps({"image": "images/gone.jpg", "caption": "no file"}) + "\n")
        fh.write(json.dumps({"image": "images/4.jpg", "captions": []}) + "\n")
    task = get_task(full)
    with pytest.raises(DataError, match="gone.jpg not found"):
        task.load(path.parent, LoadOptions())
    ds = task.load(path.parent, LoadOptions(skip_bad_images=True))
    assert ds.counts["empty_captions"] == 1 and ds.counts["missing_images"] == 1
    assert ds.skipped == ["images/gone.jpg"] and len(ds.images) == 4
    assert any("1 empty caption(s) dropped" in w for w in ds.warnings)


def test_unpaired_folder_files_fail_or_are_recorded(tmp_path):
    full = sample(tmp_path, "folder:mine", 3)
    folder = Path(full.partition(":")[2])
    (folder / "caption" / "2.txt").unlink()
    with pytest.raises(DataError, match=r"image 2.jpg has no 2.txt .*--skip-bad-images"):
        get_task(full).load(folder, LoadOptions())
    ds = get_task(full).load(folder, LoadOptions(skip_bad_images=True))
    assert ds.image_ids == ["image/1.jpg", "image/3.jpg"] and ds.counts["unpaired_files"] == 1


def test_names_and_specs(tmp_path):
    with pytest.raises(DataError, match="built-in task name"):
        get_task(f"jsonl:{tmp_path / 'urban1k.jsonl'}")
    with pytest.raises(UnknownNameError, match="expected csv:PATH"):
        get_task("csv:")
    with pytest.raises(UnknownNameError, match="jsonl:PATH"):
        resolve_tasks("jsonnl:x")
    full = sample(tmp_path, "csv:a/mine.csv", 2)
    tasks = resolve_tasks(f"urban1k,{full},{full}")
    assert [t.meta.name for t in tasks] == ["urban1k", "mine"]
    status = get_task(full).status(Path(full.partition(":")[2]).parent)
    assert status.state == "found" and status.found == {"images": 2, "texts": 3}
    assert get_task(f"csv:{tmp_path / 'nothing.csv'}").status(tmp_path).state == "missing"


def test_two_sources_of_one_name_are_refused_naming_both(tmp_path):
    jsonl, csv = sample(tmp_path, "jsonl:d/x.jsonl", 2), sample(tmp_path, "csv:d/x.csv", 2)
    with pytest.raises(DataError, match=r"d/x\.jsonl and .*d/x\.csv would both be filed as 'x'.*rename one"):
        resolve_tasks(f"{jsonl},{csv}")


def test_two_images_of_one_stem_beside_a_caption_are_refused(tmp_path):
    full = sample(tmp_path, "folder:mine", 3)
    folder = Path(full.partition(":")[2])
    (folder / "image" / "1.png").write_bytes((folder / "image" / "1.jpg").read_bytes())
    with pytest.raises(DataError, match=r"image/1\.jpg and 1\.png are both image files of the stem '1'; keep one"):
        get_task(full).load(folder, LoadOptions())


def test_a_caption_longer_than_the_csv_field_limit_is_read(tmp_path):
    full = sample(tmp_path, "csv:mine.csv", 2)
    path = Path(full.partition(":")[2])
    long = "word " * 40_000  # 200,000 characters: over the stdlib's 131,072 field limit
    path.write_text(f'image,caption\nimages/1.jpg,"{long}"\nimages/2.jpg,short\n')
    assert get_task(full).load(path.parent, LoadOptions()).texts == [long.strip(), "short"]


def test_a_task_spec_path_may_start_with_a_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    sample(tmp_path, "jsonl:mine/captions.jsonl", 2)
    (task,) = resolve_tasks("jsonl:~/mine/captions.jsonl")
    assert task.root(None) == tmp_path / "mine" and len(task.load(task.root(None), LoadOptions()).images) == 2
