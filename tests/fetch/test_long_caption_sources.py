"""Fetch sources of the long-caption tasks: IIW files at a pinned commit (sha256 + size), DCI's tarball (only
annotations and splits.json placed), DOCCI, and the by-hand instructions for what sits behind SA-1B's licence form."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from typer.testing import CliRunner

from longbench.cli import app
from longbench.datasets import LoadOptions
from longbench.fetch import SOURCES, data_status
from longbench.fetch.sources import DCI_ANNOTATIONS, IIW_PARTS
from longbench.tasks import get_task

from .helpers import tar_folder

runner = CliRunner()


def _fetch(*args: str):
    return runner.invoke(app, ["data", "fetch", *args])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _with_files(monkeypatch, name: str, files: dict[str, bytes]) -> None:
    """Swap each part's measured sha256/size for the tiny test file's (the real ones are for the real files)."""
    source = SOURCES.get(name)
    parts = tuple(dataclasses.replace(p, expect=dataclasses.replace(p.expect, sha256=_sha256(files[p.filename]),
                                                                    size=len(files[p.filename])))
                  for p in source.parts)
    monkeypatch.setitem(SOURCES._items, name, dataclasses.replace(source, parts=parts))


def _iiw_files(tmp_path: Path) -> dict[str, bytes]:
    sample = tmp_path / "iiw-src"
    get_task("iiw-fg").write_sample(sample, 6)
    files = {f"iiw-{subset}-data.jsonl": (sample / subset / "data.jsonl").read_bytes()
             for subset in ("DOCCI_Test", "IIW-400", "DCI_Test")}
    files["iiw-test_annotations.json"] = (sample / "test_annotations.json").read_bytes()
    return files


def test_iiw_parts_are_pinned_to_commits_with_measured_checksums():
    for part in IIW_PARTS:
        assert "/96d393777e2528becd8a7afa1389eb4b65084793/" in part.url or "/0f9ce05886d1" in part.url
        assert len(part.expect.sha256) == 64 and part.expect.size
    assert DCI_ANNOTATIONS.expect.sha256.startswith("d865c244")  # DCI's download.py since 2024-06-03


def test_iiw_annotations_from_a_mirror_land_in_the_layout(tmp_path, server, monkeypatch):
    files = _iiw_files(tmp_path)
    _with_files(monkeypatch, "iiw", files)
    server.state.files.update(files)
    root = tmp_path / "data"
    result = _fetch("iiw", "-d", str(root), "--source", server.url)
    assert result.exit_code == 0, result.output
    assert "sha256 matches the published checksum" in result.output
    base = root / "imageinwords"
    assert sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()) == [
        "DCI_Test/data.jsonl", "DOCCI_Test/data.jsonl", "IIW-400/data.jsonl", "test_annotations.json"]
    assert "longbench data fetch iiw-images" in result.output  # images are not in these files
    assert "iiw: missing" in result.output or "iiw: incomplete" in result.output


def test_iiw_file_that_is_not_the_pinned_one_is_refused(tmp_path, server):
    server.state.files.update(_iiw_files(tmp_path))
    result = _fetch("iiw", "-d", str(tmp_path / "data"), "--source", server.url)
    assert result.exit_code == 2
    assert "does not match the expected f422b726" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "data" / "imageinwords").exists()


def test_dci_tarball_places_annotations_and_splits_only(tmp_path, server, monkeypatch):
    sample = tmp_path / "dci-src"
    get_task("dci").write_sample(sample, 4)
    (sample / "densely_captioned_images" / "complete").mkdir()
    (sample / "densely_captioned_images" / "complete" / "112956-data.json").write_text("{}")
    photos = sample / "densely_captioned_images" / "photos"
    photos.rename(tmp_path / "photos")  # dci.tar.gz has no photos
    tarball = tar_folder(sample / "densely_captioned_images", "densely_captioned_images")
    _with_files(monkeypatch, "dci", {"dci.tar.gz": tarball})
    server.state.files["dci.tar.gz"] = tarball
    root = tmp_path / "data"
    result = _fetch("dci", "-d", str(root), "--source", server.url)
    assert result.exit_code == 0, result.output
    base = root / "dci" / "densely_captioned_images"
    assert sorted(p.name for p in base.iterdir()) == ["annotations", "splits.json"]
    assert "dci-photos" in result.output and "CC-BY-NC-4.0" in result.output
    (tmp_path / "photos").rename(base / "photos")
    assert len(get_task("dci").load(root / "dci", LoadOptions()).texts) == 4


def test_docci_descriptions_and_image_archive(tmp_path, server):
    sample = tmp_path / "docci-src"
    get_task("docci").write_sample(sample, 3)
    server.state.files["docci_descriptions.jsonlines"] = (sample / "docci_descriptions.jsonlines").read_bytes()
    server.state.files["docci_images.tar.gz"] = tar_folder(sample / "images", "images")
    root = tmp_path / "data"
    result = _fetch("docci", "-d", str(root), "--source", server.url)
    assert result.exit_code == 0, result.output
    assert "size matches the server's Content-Length only" in result.output
    assert "docci: incomplete 3/5000 images, 3/5000 texts" in result.output


def test_dci_photos_need_the_sa1b_licence_form(tmp_path):
    result = _fetch("dci-photos", "-d", str(tmp_path))
    assert result.exit_code == 2
    assert "sa_000138.tar" in result.output and "segment-anything-downloads" in result.output
    assert str(tmp_path / "dci") in " ".join(result.output.split())
    images = _fetch("iiw-images", "-d", str(tmp_path))
    assert images.exit_code == 2 and "aar_train" in images.output and "docci_images_aar.tar.gz" in images.output


def test_status_names_the_fetch_command_and_the_by_hand_part(tmp_path):
    rows = {row.task: row for row in data_status(tmp_path, [get_task("dci"), get_task("iiw"), get_task("docci")])}
    assert rows["dci"].obtain.startswith("longbench data fetch dci; photos are SA-1B")
    assert "`longbench data fetch dci-photos` prints the steps" in rows["dci"].obtain
    assert rows["docci"].obtain == "longbench data fetch docci"
    assert "longbench data fetch iiw-images" in rows["iiw"].obtain


def test_sources_only_name_registered_tasks():
    for _, source in SOURCES.items():
        for task in (*source.tasks, *(place.task for part in source.parts for place in part.places)):
            get_task(task)


def test_verify_decodes_the_pooled_iiw_images_including_fallbacks(tmp_path):
    task = get_task("iiw")
    task.write_sample(tmp_path / "imageinwords", 6)
    (tmp_path / "imageinwords" / "docci_aar" / "aar_train_04601.jpg").write_bytes(b"not a jpeg")
    result = runner.invoke(app, ["data", "verify", "iiw", "-d", str(tmp_path)])
    assert result.exit_code == 1
    assert "iiw: damaged 6/612 images, 6/612 texts" in result.output
    assert "aar_train_04601.jpg" in result.output
