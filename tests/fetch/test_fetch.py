"""`longbench data fetch`: sources, staging, completion markers, refusals and account-only instructions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.cli import app
from longbench.datasets import LoadOptions
from longbench.fetch import SOURCES, fetch
from longbench.fetch.install import WORK_DIR
from longbench.fetch.sources import COCO_CAPTIONS2017, COCO_VAL2017, Part
from longbench.tasks import get_task

from .helpers import md5, zip_bytes, zip_folder

runner = CliRunner()


def _fetch(*args: str):
    return runner.invoke(app, ["data", "fetch", *args])


def _markers(root: Path) -> list[str]:
    return sorted(p.name for p in (root / WORK_DIR / "done").glob("*.json"))


def _leftovers(root: Path) -> list[str]:
    """Anything in the work folder besides the markers (staging folders, downloads)."""
    work = root / WORK_DIR
    return sorted(p.name for p in work.iterdir() if p.name != "done") if work.is_dir() else []


def _with_expect(monkeypatch, name: str, **expect) -> None:
    """Swap a source's published checksum for the tiny test archive's (the real one is for the real file)."""
    source = SOURCES.get(name)
    parts = tuple(dataclasses.replace(p, expect=dataclasses.replace(p.expect, **expect)) for p in source.parts)
    monkeypatch.setitem(SOURCES._items, name, dataclasses.replace(source, parts=parts))


def test_local_archive_is_extracted_into_the_task_layout(tmp_path, urban_zip):
    archive = tmp_path / "Urban1k.zip"
    archive.write_bytes(urban_zip)
    root = tmp_path / "data"
    result = _fetch("urban1k", "-d", str(root), "--source", str(archive))
    assert result.exit_code == 0, result.output
    assert (root / "Urban1k" / "image" / "1.jpg").is_file() and (root / "Urban1k" / "caption" / "3.txt").is_file()
    assert _markers(root) == ["urban1k-zip.json"] and _leftovers(root) == []
    assert archive.is_file(), "a user's local archive is never moved or deleted"
    assert "urban1k: incomplete 3/1000 images, 3/1000 texts" in result.output
    assert "CC-BY-NC-4.0" in result.output


def test_http_download_with_progress_and_published_checksum(tmp_path, server, cifar10_tgz, monkeypatch):
    _with_expect(monkeypatch, "cifar10", md5=md5(cifar10_tgz))
    server.state.files["cifar-10-python.tar.gz"] = cifar10_tgz
    root = tmp_path / "data"
    result = _fetch("cifar10", "-d", str(root), "--source", server.url)
    assert result.exit_code == 0, result.output
    assert "md5 matches the published checksum" in result.output
    assert (root / "cifar10" / "cifar-10-batches-py" / "test_batch").is_file()
    assert _leftovers(root) == ["downloads"] and list((root / WORK_DIR / "downloads").iterdir()) == []
    data = get_task("cifar10").load(root / "cifar10", LoadOptions())
    assert len(data.images) == 6


def test_checksum_failure_leaves_nothing_marked_or_placed(tmp_path, server, cifar10_tgz):
    """The table's md5 is the real archive's, so the tiny archive fails it: error, no files, no marker, no .part."""
    server.state.files["cifar-10-python.tar.gz"] = cifar10_tgz
    root = tmp_path / "data"
    result = _fetch("cifar10", "-d", str(root), "--source", server.url)
    assert result.exit_code == 2
    assert "does not match the expected c58f30108f718f92721af3b95e74349a" in result.output
    assert "Traceback" not in result.output
    assert not (root / "cifar10").exists() and _markers(root) == []
    assert list((root / WORK_DIR / "downloads").iterdir()) == []


def test_interrupted_fetch_resumes_on_the_next_run(tmp_path, server, urban_zip):
    server.state.files["Urban1k.zip"] = urban_zip
    server.state.drop_first["Urban1k.zip"] = 1000
    root = tmp_path / "data"
    first = _fetch("urban1k", "-d", str(root), "--source", server.url + "Urban1k.zip", "--retries", "0")
    assert first.exit_code == 2 and "run again to resume" in first.output
    assert not (root / "Urban1k").exists() and _markers(root) == []
    assert (root / WORK_DIR / "downloads" / "Urban1k.zip.part").stat().st_size == 1000
    second = _fetch("urban1k", "-d", str(root), "--source", server.url + "Urban1k.zip")
    assert second.exit_code == 0, second.output
    assert server.state.requests[-1] == ("Urban1k.zip", "bytes=1000-")
    assert (root / "Urban1k" / "image" / "2.jpg").is_file()


def test_two_part_source_from_a_mirror_and_only_the_needed_member(tmp_path, server, monkeypatch):
    sample = tmp_path / "coco-src"
    get_task("coco").write_sample(sample, 3)
    server.state.files["val2017.zip"] = zip_folder(sample / "val2017", "val2017")
    server.state.files["annotations_trainval2017.zip"] = zip_bytes({
        "annotations/captions_val2017.json": (sample / "annotations" / "captions_val2017.json").read_bytes(),
        "annotations/instances_val2017.json": b"{}"})
    monkeypatch.setenv("LONGBENCH_FETCH_MIRROR", server.url)
    root = tmp_path / "data"
    result = _fetch("coco", "-d", str(root))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "coco" / "annotations").iterdir()) == ["captions_val2017.json"]
    assert len(list((root / "coco" / "val2017").iterdir())) == 3
    assert _markers(root) == ["coco-captions2017.json", "coco-val2017.json"]
    assert json.loads((root / WORK_DIR / "done" / "coco-val2017.json").read_text())["location"] == \
        server.url + "val2017.zip"
    # A second run finds both parts complete and downloads nothing.
    seen = len(server.state.requests)
    again = _fetch("coco", "-d", str(root))
    assert again.exit_code == 0 and again.output.count("already fetched") == 2
    assert len(server.state.requests) == seen


def test_per_dataset_env_folder_is_a_source(tmp_path, urban_zip, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "Urban1k.zip").write_bytes(urban_zip)
    monkeypatch.setenv("LONGBENCH_FETCH_URBAN1K", str(mirror))
    fetch("urban1k", tmp_path / "data")
    assert (tmp_path / "data" / "Urban1k" / "caption" / "1.txt").is_file()


def test_one_file_source_for_a_two_file_dataset_is_refused(tmp_path):
    result = _fetch("coco", "-d", str(tmp_path / "data"), "--source", "http://127.0.0.1:9/val2017.zip")
    assert result.exit_code == 2
    assert "coco needs 2 files (val2017.zip, annotations_trainval2017.zip)" in result.output


def test_existing_folder_is_not_overwritten_without_force(tmp_path, urban_zip):
    archive = tmp_path / "Urban1k.zip"
    archive.write_bytes(urban_zip)
    root = tmp_path / "data"
    (root / "Urban1k").mkdir(parents=True)
    (root / "Urban1k" / "mine.txt").write_text("user data")
    refused = _fetch("urban1k", "-d", str(root), "--source", str(archive))
    assert refused.exit_code == 2 and "already exists" in refused.output and "--force" in refused.output
    assert (root / "Urban1k" / "mine.txt").is_file() and _markers(root) == []
    forced = _fetch("urban1k", "-d", str(root), "--source", str(archive), "--force")
    assert forced.exit_code == 0, forced.output
    assert not (root / "Urban1k" / "mine.txt").exists() and (root / "Urban1k" / "image" / "1.jpg").is_file()


def test_malicious_archive_extracts_nothing(tmp_path):
    archive = tmp_path / "Urban1k.zip"
    archive.write_bytes(zip_bytes({"Urban1k/image/1.jpg": b"x", "Urban1k/../../../evil.txt": b"evil"}))
    root = tmp_path / "a" / "b" / "data"
    result = _fetch("urban1k", "-d", str(root), "--source", str(archive))
    assert result.exit_code == 2 and "refused" in result.output
    assert not (root / "Urban1k").exists() and _markers(root) == [] and _leftovers(root) == []
    assert not list(tmp_path.rglob("evil.txt"))


def test_refused_download_is_deleted_so_the_next_run_downloads_again(tmp_path, server):
    server.state.files["Urban1k.zip"] = zip_bytes({"/etc/evil.txt": b"evil"})
    root = tmp_path / "data"
    result = _fetch("urban1k", "-d", str(root), "--source", server.url)
    assert result.exit_code == 2 and "absolute path" in result.output
    assert list((root / WORK_DIR / "downloads").iterdir()) == [] and _markers(root) == []


def test_tar_with_symlink_out_of_the_target_extracts_nothing(tmp_path, monkeypatch):
    import io
    import tarfile

    archive = tmp_path / "cifar-100-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        link = tarfile.TarInfo("cifar-100-python")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../../"
        tf.addfile(link)
        info = tarfile.TarInfo("cifar-100-python/evil.txt")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"evil"))
    _with_expect(monkeypatch, "cifar100", md5=md5(archive.read_bytes()))
    root = tmp_path / "data"
    result = _fetch("cifar100", "-d", str(root), "--source", str(archive))
    assert result.exit_code == 2 and "points outside" in result.output
    assert not list(tmp_path.rglob("evil.txt")) and not (root / "cifar100").exists()


def test_archive_without_the_expected_member_names_what_it_holds(tmp_path):
    archive = tmp_path / "Urban1k.zip"
    archive.write_bytes(zip_bytes({"urban/image/1.jpg": b"x"}))
    result = _fetch("urban1k", "-d", str(tmp_path / "data"), "--source", str(archive))
    assert result.exit_code == 2
    assert "expected 'Urban1k' in the archive; its top level holds: nothing" in result.output
    assert not (tmp_path / "data" / "Urban1k").exists()


def test_karpathy_splits_go_to_both_datasets(tmp_path):
    archive = tmp_path / "caption_datasets.zip"
    archive.write_bytes(zip_bytes({"dataset_coco.json": b'{"images": []}', "dataset_flickr30k.json": b'{"images": []}',
                                   "dataset_flickr8k.json": b"{}"}))
    report = fetch("karpathy", tmp_path / "data", str(archive))
    assert (tmp_path / "data" / "coco" / "dataset_coco.json").is_file()
    assert (tmp_path / "data" / "flickr30k" / "dataset_flickr30k.json").is_file()
    assert not list((tmp_path / "data").rglob("dataset_flickr8k.json"))
    assert set(report.statuses) == {"coco-karpathy", "flickr30k"}


def test_sharegpt4v_json_is_placed_and_image_instructions_printed(tmp_path):
    local = tmp_path / "share-captioner_coco_lcs_sam_1246k_1107.json"
    local.write_text("[]")
    root = tmp_path / "data"
    result = _fetch("sharegpt4v", "-d", str(root), "--source", str(local))
    assert result.exit_code == 0, result.output
    assert (root / "sharegpt4v" / local.name).read_text() == "[]" and local.is_file()
    assert "SA-1B" in result.output and "data/sam/images/sa_1.jpg" in result.output


@pytest.mark.parametrize(("name", "expected"), [
    ("imagenet", ["image-net.org", "ILSVRC2012_img_val.tar", "imagenet/val", "val/<wnid>/*.JPEG"]),
    ("objectnet", ["objectnet.dev", "objectnet-1.0.zip", "objectnet/objectnet-1.0/images"]),
    ("flickr30k", ["shannon.cs.illinois.edu", "flickr30k-images.tar.gz", "flickr30k/flickr30k-images",
                   "longbench data fetch karpathy"]),
])
def test_account_only_datasets_print_instructions_and_fail(tmp_path, name, expected):
    result = _fetch(name, "-d", str(tmp_path / "data"))
    assert result.exit_code != 0
    assert "cannot be downloaded automatically" in result.output
    for text in expected:
        assert text in result.output
    assert "Traceback" not in result.output


def test_unknown_name_lists_what_can_be_fetched(tmp_path):
    result = _fetch("cifar1O", "-d", str(tmp_path))
    assert result.exit_code == 2 and "did you mean cifar10" in result.output and "imagenet" in result.output


def test_task_name_resolves_to_its_source(tmp_path):
    local = tmp_path / "x.json"
    local.write_text("[]")
    report = fetch("sharegpt4v-1k", tmp_path / "data", str(local))
    assert report.source.name == "sharegpt4v"


def test_every_source_places_files_into_registered_tasks():
    for _, source in SOURCES.items():
        for part in source.parts:
            assert isinstance(part, Part) and part.url.startswith(("http://", "https://"))
            for place in part.places:
                get_task(place.task)
    assert COCO_VAL2017.expect.md5 is None and COCO_CAPTIONS2017.expect.md5 is None
