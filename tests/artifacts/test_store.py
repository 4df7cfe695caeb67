"""Filing results: safe paths inside --output, the overwrite policy, concurrent writers, the match used by resumes."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

import longbench.artifacts.store as store
from longbench.artifacts.results import read_result, write_result
from longbench.artifacts.store import (
    Measurement,
    check_replaceable,
    existing_result_matches,
    replacement_conflict,
    result_path,
    store_result,
)
from longbench.errors import OutputError
from tests.helpers.results import make_result


def with_task(result, **changes):
    return dataclasses.replace(result, task=dataclasses.replace(result.task, **changes))


def with_sha(result, sha):
    return dataclasses.replace(result, model=dataclasses.replace(result.model, checkpoint_sha256=sha))


@pytest.mark.parametrize("name", ["..", ".", "...", ""])
def test_names_that_cannot_name_a_folder_are_refused(tmp_path, name):
    with pytest.raises(OutputError, match="cannot name a file or folder"):
        result_path(tmp_path, name, "urban1k")
    with pytest.raises(OutputError, match="cannot name a file or folder"):
        result_path(tmp_path, "m", name)


@pytest.mark.parametrize("name,folder", [("org/repo", "org_repo"), ("../up", ".._up"), ("a\\b", "a_b"),
                                         ("hf:org/m@v1", "hf_org_m@v1")])
def test_slashes_are_made_safe_and_stay_inside(tmp_path, name, folder):
    path = result_path(tmp_path, name, "urban1k")
    assert path == tmp_path / folder / "urban1k.json"
    assert path.resolve().is_relative_to(tmp_path.resolve())


def test_a_link_leaving_the_output_folder_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "m").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputError, match="outside"):
        result_path(tmp_path / "out", "m", "urban1k")


def test_policy_replaces_only_an_equal_or_larger_measurement_of_the_same_thing():
    old = Measurement.of(make_result())
    assert replacement_conflict(old, old) is None
    assert replacement_conflict(old, dataclasses.replace(old, n_images=old.n_images + 1)) is None
    assert replacement_conflict(old, dataclasses.replace(old, fingerprint="sha256:other")) is None
    assert "measured on 2 images, this run on 1" in replacement_conflict(old, dataclasses.replace(old, n_images=1))
    for field, value in (("checkpoint_sha256", "other"), ("task_version", 2), ("protocol", "q"),
                         ("kind", "classification")):
        assert replacement_conflict(old, dataclasses.replace(old, **{field: value})), field


def test_existing_result_matches_compares_the_whole_measurement(tmp_path):
    result = make_result()
    path = write_result(result, tmp_path / "m" / "urban1k.json")
    wanted = Measurement.of(result)
    assert existing_result_matches(path, wanted)
    for field, value in (("checkpoint_sha256", "x"), ("task_version", 2), ("protocol", "q"), ("kind", "k"),
                         ("fingerprint", "sha256:y"), ("n_images", 3)):
        assert not existing_result_matches(path, dataclasses.replace(wanted, **{field: value})), field
    assert not existing_result_matches(tmp_path / "m" / "missing.json", wanted)
    path.write_text("{truncated")
    assert not existing_result_matches(path, wanted)


def test_store_keeps_a_larger_result_and_writes_the_smaller_one_beside_it(tmp_path):
    full = with_task(make_result(), n_images=1000)
    first = store_result(full, tmp_path)
    before = first.path.read_bytes()
    smaller = with_task(make_result(), n_images=3, limit=3)
    smaller.created = "2026-11-27T20:01:02+00:00"
    stored = store_result(smaller, tmp_path)
    assert first.path.read_bytes() == before
    assert stored.kept == first.path and "measured on 1000 images, this run on 3" in stored.reason
    assert stored.path == tmp_path / "m" / "urban1k.20261127200102.json"
    assert read_result(stored.path).task.n_images == 3
    again = store_result(smaller, tmp_path)
    assert again.path.name == "urban1k.20261127200102-2.json"
    overwritten = store_result(smaller, tmp_path, overwrite=True)
    assert overwritten.path == first.path and overwritten.kept is None
    assert read_result(first.path).task.n_images == 3


def test_store_never_replaces_a_file_it_cannot_read(tmp_path):
    path = tmp_path / "m" / "urban1k.json"
    path.parent.mkdir()
    path.write_text('{"schema_version": 99}')
    stored = store_result(make_result(), tmp_path)
    assert stored.kept == path and "schema_version 99" in stored.reason
    assert path.read_text() == '{"schema_version": 99}'
    with pytest.raises(OutputError, match="is kept: it is not a result this longbench can read"):
        check_replaceable(path, Measurement.of(make_result()))
    check_replaceable(path, Measurement.of(make_result()), overwrite=True)


def test_check_replaceable_names_the_file_and_the_way_out(tmp_path):
    path = write_result(with_sha(make_result(), "aaa"), tmp_path / "m" / "urban1k.json")
    with pytest.raises(OutputError) as err:
        check_replaceable(path, Measurement.of(with_sha(make_result(), "bbb")))
    message = str(err.value)
    assert str(path) in message and "'aaa'" in message and "'bbb'" in message and "--overwrite" in message
    assert "\n" not in message


def test_concurrent_writers_lose_no_result(tmp_path, monkeypatch):
    """Eight writers of different weights at once: the first is kept in place, every other one beside it."""
    real_write = store.write_result

    def slow_write(result, path):  # widen the window between deciding and writing
        time.sleep(0.05)
        return real_write(result, path)

    monkeypatch.setattr(store, "write_result", slow_write)
    barrier = threading.Barrier(8)
    stored, errors = [], []

    def writer(i: int) -> None:
        result = with_sha(make_result(), f"sha{i}")
        barrier.wait()
        try:
            stored.append(store_result(result, tmp_path))
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    files = sorted((tmp_path / "m").glob("*.json"))
    assert len(files) == 8 == len({s.path for s in stored})
    assert sorted(read_result(f).model.checkpoint_sha256 for f in files) == [f"sha{i}" for i in range(8)]
    assert sum(s.kept is None for s in stored) == 1


def test_a_temporary_a_killed_writer_left_is_removed_when_the_folder_is_next_locked(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    left = [folder / ".urban1k.json.k3x9q1.tmp", folder / ".coco.json.abc_12.tmp"]
    kept = [folder / ".probe-urban1k-tokens.json.a1b2.tmp", folder / "notes.tmp", folder / ".urban1k.json"]
    for path in (*left, *kept):
        path.write_text("{")
    store_result(make_result(), tmp_path)
    assert not any(p.exists() for p in left)
    assert all(p.exists() for p in kept)  # a probe's write may be in progress (it holds no lock); others not ours
