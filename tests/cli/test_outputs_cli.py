"""Output locations through the CLI: checked before any encoding, kept inside --output, never silently replaced,
written with the umask's mode, and every failure one line with exit code 2 and nothing written or lost."""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import longbench.artifacts.atomic as atomic
import longbench.runner as runner_module
from longbench.artifacts.results import read_result
from longbench.cli import app
from tests.helpers.checkpoints import save_torch
from tests.helpers.samples import write_samples

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures" / "results" / "v1"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return write_samples(tmp_path_factory.mktemp("data"), "urban1k,cifar10", 10, seed=2)


@pytest.fixture
def no_encoding(monkeypatch):
    """Fail the test if a run gets as far as evaluating (encoding) a task."""

    class Refuse:
        def get(self, kind):
            raise AssertionError("encoding started")

    monkeypatch.setattr(runner_module, "EVALUATORS", Refuse())


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: chmod for normal users, a read-only mount for root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    candidates = [folder, Path("/sys/fs"), Path("/proc/sys")]
    for candidate in candidates:
        try:
            fd, name = tempfile.mkstemp(dir=candidate)
        except OSError:
            return candidate
        os.close(fd)
        os.unlink(name)
    pytest.skip("no folder here refuses writes to this user")


def run(data_root: Path, output: Path, *args: str, task: str = "urban1k"):
    return runner.invoke(app, ["run", "-m", "tiny-longclip", "-t", task, "-d", str(data_root), "-o", str(output),
                               "-b", "4", "-q", *args])


def one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- every output location is checked before any encoding starts ---------------------------------------------

def test_a_file_as_output_fails_before_encoding(data_root, tmp_path, no_encoding):
    output = tmp_path / "results"
    output.write_text("not a folder")
    line = one_line_error(run(data_root, output))
    assert f"--output {output}: is not a folder" in line
    assert output.read_text() == "not a folder"


def test_dev_null_as_output_fails_before_encoding(data_root, no_encoding):
    assert "--output /dev/null: is not a folder" in one_line_error(run(data_root, Path("/dev/null")))


def test_a_folder_under_a_file_fails_before_encoding(data_root, tmp_path, no_encoding):
    (tmp_path / "file").write_text("x")
    line = one_line_error(run(data_root, tmp_path / "file" / "results"))
    assert "is a file, expected a folder" in line


def test_an_unwritable_output_folder_fails_before_encoding(data_root, tmp_path, no_encoding):
    folder = unwritable_folder(tmp_path)
    line = one_line_error(run(data_root, folder / "results"))
    assert "cannot write there" in line and str(folder) in line


def test_disk_full_at_write_time_is_one_line_and_leaves_no_partial_file(data_root, tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    class Full:
        """A file that takes 10 bytes, then reports a full disk."""

        def __init__(self, fh):
            self.fh, self.room = fh, 10

        def write(self, text):
            if len(text) > self.room:
                self.fh.write(text[: self.room])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.room -= len(text)
            return self.fh.write(text)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    output = tmp_path / "results"
    # Without the embedding cache, whose writes would hit the full disk first (also one line: the cache's file).
    line = one_line_error(run(data_root, output, "--no-cache"))
    assert "No space left on device" in line and "urban1k.json" in line
    assert tree(output) == {}


# --- result paths stay inside --output -------------------------------------------------------------------------

def test_name_dotdot_is_refused_before_encoding(data_root, tmp_path, no_encoding):
    output = tmp_path / "results"
    line = one_line_error(run(data_root, output, "--name", ".."))
    assert "model name '..' cannot name a file or folder" in line
    assert not list(tmp_path.rglob("*.json"))


def test_a_checkpoint_file_named_dots_is_refused(data_root, tmp_path, longclip_state, no_encoding):
    checkpoint = save_torch(longclip_state, tmp_path / "...pt")
    result = runner.invoke(app, ["run", "-c", str(checkpoint), "-t", "urban1k", "-d", str(data_root),
                                 "-o", str(tmp_path / "results"), "-q"])
    assert "model name '..' cannot name a file or folder; give another one with --name" in one_line_error(result)
    assert not list(tmp_path.rglob("*.json"))


def test_a_name_with_slashes_is_written_inside_output(data_root, tmp_path):
    output = tmp_path / "results"
    result = run(data_root, output, "--name", "../org/model")
    assert result.exit_code == 0, result.output
    assert list(tree(tmp_path)) == ["results/.._org_model/urban1k.json"]
    assert read_result(output / ".._org_model" / "urban1k.json").model.name == "../org/model"


# --- overwrite policy -------------------------------------------------------------------------------------------

def test_limit_into_a_folder_holding_the_full_result_is_refused(data_root, tmp_path, monkeypatch):
    output = tmp_path / "results"
    assert run(data_root, output).exit_code == 0
    before = tree(output)
    monkeypatch.setattr(runner_module, "EVALUATORS", None)  # any evaluation would fail
    line = one_line_error(run(data_root, output, "--limit", "3"))
    assert "urban1k.json is kept: it was measured on 10 images, this run on 3" in line and "--overwrite" in line
    assert tree(output) == before


def test_overwrite_replaces_and_an_equal_rerun_replaces(data_root, tmp_path):
    output = tmp_path / "results"
    path = output / "tiny-longclip" / "urban1k.json"
    assert run(data_root, output).exit_code == 0
    assert run(data_root, output).exit_code == 0  # the same measurement again: replaced, nothing kept beside
    assert list(tree(output)) == ["tiny-longclip/urban1k.json"]
    result = run(data_root, output, "--limit", "3", "--overwrite")
    assert result.exit_code == 0, result.output
    assert read_result(path).task.n_images == 3 and list(tree(output)) == ["tiny-longclip/urban1k.json"]


def test_a_result_kept_at_write_time_is_reported(data_root, tmp_path, monkeypatch):
    """Another run finishing first with more images: this one is written beside it, and says so."""
    output = tmp_path / "results"
    assert run(data_root, output).exit_code == 0
    bigger = json.loads((output / "tiny-longclip" / "urban1k.json").read_text())
    bigger["task"]["n_images"] = 1000
    real_store = runner_module.store_result

    def finish_second(result, out, overwrite=False):
        (output / "tiny-longclip" / "urban1k.json").write_text(json.dumps(bigger))
        return real_store(result, out, overwrite)

    monkeypatch.setattr(runner_module, "store_result", finish_second)
    result = run(data_root, output)
    assert result.exit_code == 0, result.output
    assert "kept" in result.output and "measured on 1000 images, this run on 10" in result.output
    files = tree(output)
    assert len(files) == 2 and json.loads(files["tiny-longclip/urban1k.json"]) == bigger


# --- files honour the umask -------------------------------------------------------------------------------------

@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    yield 0o664
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_results_leaderboard_and_cache_honour_the_umask(data_root, tmp_path, umask_002, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LONGBENCH_CACHE", str(cache))
    output = tmp_path / "results"
    assert run(data_root, output, task="urban1k,cifar10").exit_code == 0
    board = tmp_path / "leaderboard.md"
    assert runner.invoke(app, ["leaderboard", "--results", str(output), "--out", str(board)]).exit_code == 0
    written = [*output.rglob("*.json"), *cache.rglob("*.*"), board]  # results, classifier, embeddings, board
    assert len([*output.rglob("*.json"), *(cache / "classifiers").rglob("*.*"), board]) == 5
    assert list((cache / "embeddings").rglob("*.npz"))
    assert {mode(p) for p in written} == {umask_002}, [(p, oct(mode(p))) for p in written]


def test_stretched_checkpoints_honour_the_umask(tmp_path, umask_002):
    out = tmp_path / "stretched.pt"
    result = runner.invoke(app, ["stretch", "-m", "tiny-clip", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert mode(out) == umask_002


# --- output-path errors are one line ---------------------------------------------------------------------------

def test_leaderboard_out_a_folder(tmp_path):
    (tmp_path / "board").mkdir()
    line = one_line_error(runner.invoke(app, ["leaderboard", "--results", str(FIXTURES), "--out",
                                              str(tmp_path / "board")]))
    assert f"--out {tmp_path / 'board'}: is a folder, expected a file name" in line
    assert tree(tmp_path) == {}


@pytest.mark.parametrize("option", ["--csv", "--json", "--markdown"])
def test_results_export_to_a_folder(tmp_path, option):
    (tmp_path / "table").mkdir()
    line = one_line_error(runner.invoke(app, ["results", "--results", str(FIXTURES), option, str(tmp_path / "table")]))
    assert f"{option} {tmp_path / 'table'}: is a folder" in line
    assert tree(tmp_path) == {}


@pytest.mark.parametrize("content,message", [
    (None, "not found"),
    ('{"schema_version": 1, "sources": [', "not valid JSON"),
    ("[1, 2]", "expected a JSON object, found list"),
    ("", "not valid JSON"),
])
def test_bad_references_file(tmp_path, content, message):
    path = tmp_path / "refs.json"
    if content is not None:
        path.write_text(content)
    line = one_line_error(runner.invoke(app, ["leaderboard", "--results", str(FIXTURES), "--references", str(path)]))
    assert str(path) in line and message in line


def test_stretch_out_a_folder_fails_before_loading(tmp_path):
    line = one_line_error(runner.invoke(app, ["stretch", "-m", "tiny-clip", "--out", str(tmp_path)]))
    assert f"--out {tmp_path}: is a folder, expected a file name" in line
    assert tree(tmp_path) == {}


def test_cache_pointing_at_a_file_fails_before_encoding(data_root, tmp_path, monkeypatch, no_encoding):
    cache = tmp_path / "cache-file"
    cache.write_text("x")
    monkeypatch.setenv("LONGBENCH_CACHE", str(cache))
    line = one_line_error(run(data_root, tmp_path / "results", task="cifar10"))
    assert "LONGBENCH_CACHE" in line and str(cache) in line and "is a file, expected a folder" in line
    assert cache.read_text() == "x" and not (tmp_path / "results").exists()


# --- gate: its report files are checked before it prints a verdict --------------------------------------------

@pytest.mark.parametrize("option", ["--junit", "--summary"])
def test_gate_report_file_that_cannot_be_written(tmp_path, option):
    folder = unwritable_folder(tmp_path)
    for target, message in ((tmp_path, "is a folder, expected a file name"),
                            (folder / "gate.xml", "cannot write there"),
                            (Path("/dev/null"), "is not a regular file")):
        result = runner.invoke(app, ["gate", "--baseline", str(FIXTURES / "tiny-clip"),
                                     "--candidate", str(FIXTURES / "tiny-clip"), option, str(target)])
        line = one_line_error(result)
        assert message in line and "PASSED" not in result.output and "FAILED" not in result.output
    assert Path("/dev/null").is_char_device()


def test_gate_junit_written_when_writable(tmp_path):
    junit = tmp_path / "gate.xml"
    result = runner.invoke(app, ["gate", "--baseline", str(FIXTURES / "tiny-clip"),
                                 "--candidate", str(FIXTURES / "tiny-clip"), "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    assert "<testsuites" in junit.read_text()



def test_an_unwritable_folder_itself_as_output_fails_before_encoding(data_root, tmp_path, no_encoding):
    folder = unwritable_folder(tmp_path)
    line = one_line_error(run(data_root, folder))
    assert f"--output {folder}: cannot write there" in line


def test_probe_output_a_file_fails_before_loading(data_root, tmp_path):
    output = tmp_path / "results"
    output.write_text("x")
    result = runner.invoke(app, ["probe", "-m", "tiny-longclip", "-t", "urban1k", "-d", str(data_root),
                                 "-o", str(output), "-q"])
    assert f"--output {output}: is not a folder" in one_line_error(result)
    assert output.read_text() == "x"


def test_embed_out_a_folder_fails_before_loading(tmp_path):
    result = runner.invoke(app, ["embed", "-m", "tiny-clip", "-t", "a caption", "--out", str(tmp_path)])
    assert f"--out {tmp_path}: is a folder, expected a file name" in one_line_error(result)
    assert tree(tmp_path) == {}


def test_a_model_folder_that_cannot_hold_results_fails_before_encoding(data_root, tmp_path, no_encoding):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "tiny-longclip").write_text("a file where the model's folder goes")
    line = one_line_error(run(data_root, tmp_path / "results"))
    assert f"result file {tmp_path / 'results' / 'tiny-longclip'}: is not a folder" in line


def test_a_folder_in_place_of_a_result_file_is_refused_even_with_overwrite(data_root, tmp_path, no_encoding):
    (tmp_path / "results" / "tiny-longclip" / "urban1k.json").mkdir(parents=True)
    for extra in ([], ["--overwrite"]):
        line = one_line_error(run(data_root, tmp_path / "results", *extra))
        assert "urban1k.json: is a folder, expected a file name" in line and "--overwrite" not in line


@pytest.mark.parametrize("command", ["run", "probe"])
def test_a_file_as_cache_dir_fails_before_encoding_for_every_task(data_root, tmp_path, no_encoding, command,
                                                                 monkeypatch):
    monkeypatch.setattr("longbench.runner.Encoder", lambda *a, **k: pytest.fail("an encoder was made"))
    (tmp_path / "cache-file").write_text("x")
    args = ["--cache-dir", str(tmp_path / "cache-file")]
    result = run(data_root, tmp_path / "results", *args) if command == "run" else runner.invoke(app, [
        "probe", "-m", "tiny-longclip", "-t", "urban1k", "-d", str(data_root), "-o", str(tmp_path / "results"),
        "-q", *args])
    line = one_line_error(result)
    assert "embeddings cache (--cache-dir)" in line and "is a file, expected a folder" in line
    assert "pass --no-cache to run without the cache" in line


def test_a_probe_file_that_cannot_be_written_fails_before_encoding(data_root, tmp_path, monkeypatch):
    monkeypatch.setattr("longbench.probe.make_encoder", lambda *a: pytest.fail("the probe got to encoding"))
    (tmp_path / "results" / "tiny-longclip" / "probe-urban1k-tokens.csv").mkdir(parents=True)
    result = runner.invoke(app, ["probe", "-m", "tiny-longclip", "-t", "urban1k", "-d", str(data_root),
                                 "-o", str(tmp_path / "results"), "-q"])
    assert "probe-urban1k-tokens.csv: is a folder, expected a file name" in one_line_error(result)
