"""The effective-length probe: truncation rules, exact curves on constructed data, files, plot, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from longbench import bpe, tokenizer
from longbench.adapters import ClipAdapter, load_model
from longbench.artifacts.probes import PROBE_SCHEMA, probe_paths, read_probe_document, write_probe
from longbench.cli import app
from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.encode import Encoder
from longbench.errors import DataError
from longbench.metrics.registry import DEFAULT_KS, DIRECTIONS, metric_order, recall_name
from longbench.probe import (
    auto_lengths,
    effective_length,
    parse_lengths,
    plateau_length,
    probe,
    truncate_words,
)
from longbench.report import read_probe
from longbench.report.probe_plot import plot_probes
from longbench.runner import RunConfig, run
from longbench.settings import RunSettings
from longbench.tasks import Task, TaskMeta, get_task

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Single-token distinguishing words; the filler is one word of several BPE tokens, so words and tokens differ.
LAST_WORDS = ("cat", "dog", "car", "tree", "house", "bird", "fish", "boat")
FILLER = "xylophonic"
FILLER_WORDS = 3


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    get_task("urban1k").write_sample(root / "Urban1k", 6)
    return root


@pytest.fixture(scope="module")
def tiny() -> ClipAdapter:
    return load_model("tiny-clip")


def config(root: Path, tmp_path: Path, **kw) -> RunConfig:
    return RunConfig(data_root=root, output=tmp_path / "results", device="cpu", progress=False, **kw)


# --- pure logic ---------------------------------------------------------------------------------------------

def test_auto_lengths_are_finer_at_the_short_end_and_end_at_the_maximum():
    assert auto_lengths(77) == [5, 10, 15, 20, 25, 30, 35, 40, 50, 60, 70, 77]
    long = auto_lengths(248)
    assert long[-3:] == [200, 240, 248] and 100 in long and 90 in long and 45 not in long
    assert auto_lengths(4) == [4]


def test_truncate_words_is_the_authors_cut():
    assert truncate_words("  A  red\tcar\nparked here ", 3) == "A red car"
    assert truncate_words("two words", 10) == "two words"


def test_effective_and_plateau_length():
    curve = [(5, 10.0), (10, 40.0), (20, 59.5), (30, 60.0), (40, 60.2)]
    assert effective_length(curve, full=60.0, tolerance=1.0) == 20
    assert effective_length(curve, full=60.0, tolerance=0.0) == 30
    assert effective_length(curve, full=90.0, tolerance=1.0) is None
    assert plateau_length(curve, tolerance=1.0) == 20
    # Still rising at the last point: no plateau; a slow but steady gain is not a plateau either.
    assert plateau_length([(5, 1.0), (10, 5.0), (20, 9.0)], tolerance=1.0) is None
    assert plateau_length([(10, 0.0), (20, 0.9), (30, 1.8), (40, 2.7)], tolerance=1.0) == 10


def test_parse_lengths():
    assert parse_lengths("auto") is None
    assert parse_lengths("5, 10,20") == [5, 10, 20]
    with pytest.raises(DataError, match="comma-separated integers"):
        parse_lengths("5,ten")


# --- the probe on real-format data --------------------------------------------------------------------------

def test_full_length_equals_run_with_the_same_image_skipping(tiny, tmp_path):
    get_task("urban1k").write_sample(tmp_path / "Urban1k", 6)
    (tmp_path / "Urban1k" / "image" / "3.jpg").write_bytes(b"not a jpeg")
    cfg = config(tmp_path, tmp_path, skip_bad_images=True)
    measured = run(tiny, "urban1k", cfg)[0].result.metrics
    expected = {name: measured[name] for name in metric_order(recall_name(d, k) for d in DIRECTIONS
                                                                for k in DEFAULT_KS)}
    result = probe(tiny, "urban1k", cfg, unit="tokens", lengths=[20, 77])
    assert result.full == expected  # the probe's Recall@K, as `run` measures them
    assert {k: v for k, v in result.points[-1].items() if k in expected} == expected
    assert result.n_images == result.n_texts == 5
    assert len(result.skipped) == 1 and "3.jpg" in result.skipped[0]


def test_token_truncation_keeps_sot_first_tokens_and_eot_within_n(tiny, data_root, tmp_path, monkeypatch):
    adapter = tiny
    seen: list[tuple[int | None, tokenizer.TokenBatch]] = []
    original = adapter.tokenize

    def spy(texts, context_length=None):
        batch = original(texts, context_length)
        seen.append((context_length, batch))
        return batch

    monkeypatch.setattr(adapter, "tokenize", spy)
    lengths = [2, 5, 13, 40]
    probe(adapter, "urban1k", config(data_root, tmp_path), unit="tokens", lengths=lengths)
    full = next(batch for n, batch in seen if n is None)
    by_n = {n: batch for n, batch in seen if n is not None}
    assert sorted(by_n) == lengths
    for n, batch in by_n.items():
        assert batch.ids.shape[1] == n and (batch.lengths <= n).all()
        for row, kept in enumerate(batch.lengths.tolist()):
            ids = batch.ids[row]
            assert ids[0] == bpe.SOT_ID and ids[kept - 1] == bpe.EOT_ID and (ids[kept:] == 0).all()
            assert int(ids.argmax()) == kept - 1  # EOT is the largest id: the model pools at the last kept token
            assert torch.equal(ids[: kept - 1], full.ids[row, : kept - 1])  # SOT + the first kept-2 tokens
            assert kept == min(n, int(full.raw_lengths[row]))


def test_images_are_encoded_once(tiny, data_root, tmp_path, monkeypatch):
    calls = {"start_images": 0, "texts": 0}
    start_images, texts = Encoder.start_images, Encoder.texts

    def count(name, fn):
        def wrapper(self, *args, **kwargs):
            calls[name] += 1
            return fn(self, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(Encoder, "start_images", count("start_images", start_images))
    monkeypatch.setattr(Encoder, "texts", count("texts", texts))
    probe(tiny, "urban1k", config(data_root, tmp_path), unit="words", lengths=[3, 8, 30])
    assert calls == {"start_images": 1, "texts": 4}  # three lengths + the full-length reference


def test_non_one_to_one_tasks_are_refused(tmp_path):
    get_task("coco").write_sample(tmp_path / "coco", 3)
    with pytest.raises(DataError, match=r"coco has \d+ captions for 3 images: the probe needs a 1:1 task"):
        probe("tiny-clip", "coco", config(tmp_path, tmp_path))
    with pytest.raises(DataError, match="cifar10 is a classification task"):
        probe("tiny-clip", "cifar10", config(tmp_path, tmp_path))


def test_lengths_past_the_context_are_refused(tiny, data_root, tmp_path):
    with pytest.raises(DataError, match="probe length 100 exceeds tiny-clip's context of 77 tokens"):
        probe(tiny, "urban1k", config(data_root, tmp_path), lengths=[5, 100])


# --- exact curves on constructed data -----------------------------------------------------------------------

class Pairs(Task):
    """Captions identical except their last word; image i is a constant array of value i."""

    meta = TaskMeta(name="pairs", kind="retrieval", family="test", description="constructed", protocol="1:1",
                    subdir="pairs", layout="none", source="the test", licence="none", split="all")

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        texts = [" ".join([FILLER] * FILLER_WORDS + [w]) for w in LAST_WORDS]
        images = np.stack([np.full((4, 4, 3), i, dtype=np.uint8) for i in range(len(texts))])
        return RetrievalDataset(images, texts, np.arange(len(texts)), [str(i) for i in range(len(texts))], "fp")

    def status(self, root: Path):
        raise NotImplementedError

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        raise NotImplementedError


class EchoImages(ClipAdapter):
    """Image i's embedding IS caption i's full-length text embedding, so retrieval is exact once captions differ."""

    def __init__(self, base: ClipAdapter, captions: list[str]):
        super().__init__(base.model, lambda img: torch.tensor([float(np.asarray(img)[0, 0, 0])]), base.provenance)
        encoder = Encoder(base, RunSettings.resolve("cpu"), progress=False)
        self.targets = torch.from_numpy(encoder.texts(captions).vectors)
        self.image_calls = 0

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        self.image_calls += 1
        return self.targets[pixels[:, 0].long()]


@pytest.fixture(scope="module")
def echo(tiny) -> EchoImages:
    return EchoImages(tiny, Pairs().load(Path("."), LoadOptions()).texts)


def step_curve(lengths: list[int], k: int) -> list[float]:
    """Below k every caption is the same text: one hit in 8 by the tie rule (I2T) / one shared top image (T2I)."""
    return [100.0 if n >= k else 100.0 / len(LAST_WORDS) for n in lengths]


def test_effective_length_is_where_the_distinguishing_token_enters(echo, tmp_path):
    k_tokens = len(bpe.encode(Pairs().load(Path("."), LoadOptions()).texts[0])) + 2  # + SOT and EOT
    assert k_tokens == FILLER_WORDS * 4 + 1 + 2  # 'xylophonic' is 4 BPE tokens
    lengths = [2, *range(10, 19), 24]
    result = probe(echo, Pairs(), config(tmp_path, tmp_path), unit="tokens", lengths=lengths, bootstrap=50)
    for d in ("i2t", "t2i"):
        assert [p[f"{d}_r1"] for p in result.points] == step_curve(lengths, k_tokens)
    assert result.full["i2t_r1"] == result.full["t2i_r1"] == 100.0
    assert result.effective_length == {"i2t": k_tokens, "t2i": k_tokens}
    assert result.effective_length_ci == {"i2t": [k_tokens, k_tokens], "t2i": [k_tokens, k_tokens]}
    assert result.plateau_length == {"i2t": k_tokens, "t2i": k_tokens}
    assert echo.image_calls >= 1


def test_word_and_token_units_give_different_curves(echo, tmp_path):
    lengths = [2, 3, 4, 5, 10, 15, 16]
    cfg = config(tmp_path, tmp_path)
    words = probe(echo, Pairs(), cfg, unit="words", lengths=lengths)
    tokens = probe(echo, Pairs(), cfg, unit="tokens", lengths=lengths)
    k_words = FILLER_WORDS + 1
    assert [p["i2t_r1"] for p in words.points] == step_curve(lengths, k_words)
    assert [p["i2t_r1"] for p in tokens.points] == step_curve(lengths, 15)
    assert words.effective_length["t2i"] == k_words and tokens.effective_length["t2i"] == 15
    assert words.full == tokens.full


def test_no_length_reaching_full_gives_null(echo, tmp_path):
    result = probe(echo, Pairs(), config(tmp_path, tmp_path), unit="tokens", lengths=[5, 10], bootstrap=20)
    assert result.effective_length == {"i2t": None, "t2i": None}
    assert result.effective_length_ci == {"i2t": [None, None], "t2i": [None, None]}


# --- files, plot, CLI ---------------------------------------------------------------------------------------

def test_files_json_csv_then_the_callers_png(echo, tmp_path):
    result = probe(echo, Pairs(), config(tmp_path, tmp_path), unit="words", lengths=[2, 4, 6])
    files = write_probe(result, tmp_path / "out")
    assert not files.png.exists()  # the library writes data; drawing is the caller's (report/probe_plot.py)
    assert files == probe_paths(tmp_path / "out", "tiny-clip", "pairs", "words")
    assert files.json.name == "probe-pairs-words.json"
    data = json.loads(files.json.read_text())
    assert data["schema_version"] == PROBE_SCHEMA.version and data["kind"] == "probe"
    assert data["model"]["name"] == "tiny-clip" and data["model"]["context_length"] == 77
    assert (data["task"], data["unit"], data["tolerance"]) == ("pairs", "words", 1.0)
    assert data["effective_length"] == {"i2t": 4, "t2i": 4}
    assert [p["length"] for p in data["points"]] == [2, 4, 6]
    assert read_probe(files.json).i2t == 4  # the report helper reads it
    csv = files.csv.read_text().splitlines()
    assert csv[0].startswith("model,task,unit,length,i2t_r1") and len(csv) == 4
    png = plot_probes([read_probe_document(files.json)], files.png).read_bytes()
    assert png[:8] == PNG_SIGNATURE and len(png) > 10_000


def test_cli_end_to_end_and_compare(data_root, tmp_path):
    runner = CliRunner()
    out = tmp_path / "results"
    for model in ("tiny-clip", "tiny-longclip"):
        res = runner.invoke(app, ["probe", "-m", model, "-t", "urban1k", "-d", str(data_root), "-o", str(out), "-q",
                                  "--lengths", "5,60", "--bootstrap", "20", "--device", "cpu"])
        assert res.exit_code == 0, res.output
        assert "Recall@K (%) with captions cut to N tokens" in res.output and "effective length" in res.output
        for suffix in ("json", "csv", "png"):
            assert (out / model / f"probe-urban1k-tokens.{suffix}").is_file()
    data = json.loads((out / "tiny-longclip" / "probe-urban1k-tokens.json").read_text())
    assert set(data["effective_length_ci"]) == {"i2t", "t2i"} and data["settings"]["bootstrap"]["samples"] == 20

    files = [str(out / m / "probe-urban1k-tokens.json") for m in ("tiny-clip", "tiny-longclip")]
    res = runner.invoke(app, ["probe", "--compare", *files, "-o", str(out)])
    assert res.exit_code == 0, res.output
    png = (out / "probe-compare-urban1k-tokens.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE and len(png) > 10_000
    res = runner.invoke(app, ["probe", "--compare", *files, "--plot-out", str(tmp_path / "c.png")])
    assert res.exit_code == 0 and (tmp_path / "c.png").read_bytes()[:8] == PNG_SIGNATURE


def test_cli_errors_are_one_line(data_root, tmp_path):
    runner = CliRunner()
    get_task("coco").write_sample(tmp_path / "coco", 3)
    res = runner.invoke(app, ["probe", "-m", "tiny-clip", "-t", "coco", "-d", str(tmp_path), "-q"])
    assert res.exit_code == 2 and "needs a 1:1 task" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["probe", "-m", "tiny-clip", "-t", "urban1k", "-d", str(data_root), "--unit", "chars"])
    assert res.exit_code == 2 and "--unit 'chars': expected one of tokens, words" in res.output
    words = tmp_path / "w.json"
    words.write_text(json.dumps({"schema_version": 1, "kind": "probe", "model": {"name": "m", "context_length": 77},
                                 "task": "urban1k", "unit": "words", "points": [],
                                 "effective_length": {"i2t": None, "t2i": None}}))
    tokens = tmp_path / "t.json"
    tokens.write_text(words.read_text().replace('"words"', '"tokens"'))
    res = runner.invoke(app, ["probe", "--compare", str(words), str(tokens)])
    assert res.exit_code == 2 and "cannot overlay probes in different units" in res.output
    assert not list(tmp_path.glob("*.png"))



def test_the_probe_records_and_prints_the_loaders_warnings(tmp_path):
    root = tmp_path / "data"
    get_task("urban1k").write_sample(root / "Urban1k", 4)
    for caption in (root / "Urban1k" / "caption").iterdir():
        caption.write_text("")
    res = CliRunner().invoke(app, ["probe", "-m", "tiny-clip", "-t", "urban1k", "-d", str(root), "-o",
                                   str(tmp_path / "out"), "-q", "--lengths", "5", "--device", "cpu"],
                             env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert "warning: urban1k: 4 empty caption(s) kept as empty text" in res.output
    assert "warning: urban1k: 4 images found, the published protocol has 1000" in res.output
    data = read_probe_document(tmp_path / "out" / "tiny-clip" / "probe-urban1k-tokens.json")
    assert any("4 empty caption(s)" in w for w in data["warnings"])
