"""Equal inputs, equal embeddings (encode.py): a repeated caption or image is encoded once per call, so the exact
tie rule of the metrics applies and no setting of --batch-size or --no-trim changes a metric."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from longbench.adapters import load_model
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.encode import Encoder
from longbench.runner import RunConfig, run
from longbench.settings import RunSettings
from longbench.tasks import get_task
from tests.helpers.samples import write_samples

SETTINGS = [(2, True), (7, False), (64, True)]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return write_samples(tmp_path_factory.mktemp("data"), "docci-fg,iiw-fg", 4, seed=1)


@pytest.fixture(scope="module")
def adapter():
    return load_model("tiny-longclip")


def batch_sensitive(adapter, monkeypatch) -> None:
    """Make the text tower's output depend on the batch it is encoded in, as real kernels do in the last bits: by
    enough to break a tie on any machine, too little to reorder two different captions."""
    encode = adapter.encode_text

    def encode_text(batch):
        out = encode(batch)
        nudge = torch.zeros_like(out)
        nudge[:, 0] = 1e-6 * ((torch.arange(len(batch)) + len(batch) + batch.ids.shape[1]) % 3)
        return torch.nn.functional.normalize(out + nudge, dim=-1)
    monkeypatch.setattr(adapter, "encode_text", encode_text)


@pytest.mark.parametrize("task", ["docci-fg", "iiw-fg"])
def test_equal_captions_get_identical_embeddings_at_every_setting(data_root, adapter, task):
    texts = get_task(task).load(data_root / get_task(task).meta.subdir, LoadOptions()).texts
    repeats = [rows for rows in _rows_by_text(texts).values() if len(rows) > 1]
    assert repeats, "the sample must repeat captions"
    for batch, trim in SETTINGS:
        vectors = Encoder(adapter, RunSettings.resolve("cpu", batch_size=batch), progress=False, trim=trim
                          ).texts(texts).vectors
        for rows in repeats:
            assert (vectors[rows] == vectors[rows[0]]).all(), (batch, trim, texts[rows[0]])


def test_captions_equal_once_cut_are_one_input(adapter):
    """The probe cuts captions to N tokens: captions that then agree are one input to the tower."""
    texts = ["a red bus on a bridge at night", "a red bus on a hill", "a red car", "a red bus on a bridge"]
    emb = Encoder(adapter, RunSettings.resolve("cpu", batch_size=1), progress=False).texts(texts, context_length=5)
    assert (emb.vectors[0] == emb.vectors[1]).all() and (emb.vectors[0] == emb.vectors[3]).all()
    assert emb.token_lengths.tolist()[:2] == [10, 8] and emb.truncated.tolist() == [True, True, False, True]


def test_a_repeated_image_gets_identical_embeddings(adapter, tmp_path):
    paths = [write_image(tmp_path / f"{i}.jpg", i) for i in range(3)]
    (tmp_path / "link.jpg").symlink_to(paths[0])
    rows = [paths[0], paths[1], paths[0], paths[2], tmp_path / "link.jpg"]
    decoded = []
    encoder = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False)
    original = encoder.adapter.encode_image
    encoder.adapter.encode_image = lambda pixels: decoded.append(len(pixels)) or original(pixels)
    emb = encoder.images(rows, ids=[f"id{i}" for i in range(5)])
    assert sum(decoded) == 3  # each file once
    assert emb.kept.tolist() == [0, 1, 2, 3, 4]
    assert (emb.vectors[2] == emb.vectors[0]).all() and (emb.vectors[4] == emb.vectors[0]).all()
    arrays = np.random.default_rng(0).integers(0, 255, size=(2, 32, 32, 3), dtype=np.uint8)[[0, 1, 0]]
    vectors = Encoder(adapter, RunSettings.resolve("cpu", batch_size=1), progress=False).images(arrays).vectors
    assert (vectors[2] == vectors[0]).all()


def test_a_repeated_bad_image_is_skipped_on_each_of_its_rows(adapter, tmp_path):
    good, bad = write_image(tmp_path / "good.jpg", 0), tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    emb = Encoder(adapter, RunSettings.resolve("cpu"), progress=False).images([bad, good, bad], ["a", "b", "c"],
                                                                             skip_bad=True)
    assert emb.kept.tolist() == [1]
    assert [s.split(":")[0] for s in emb.skipped] == [str(bad), str(bad)]


@pytest.mark.parametrize("task", ["docci-fg", "iiw-fg"])
def test_metrics_do_not_change_with_batch_size_or_no_trim(data_root, adapter, task, tmp_path, monkeypatch):
    batch_sensitive(adapter, monkeypatch)
    seen = {}
    for batch, trim in SETTINGS:
        config = RunConfig(data_root=data_root, output=tmp_path / f"{batch}-{trim}", batch_size=batch, device="cpu",
                           progress=False, cache=False, trim=trim)
        metrics = run(adapter, task, config)[0].result.metrics
        seen.setdefault(tuple(sorted(metrics.items())), []).append((batch, trim))
    assert len(seen) == 1, list(seen.values())


def _rows_by_text(texts: list[str]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        rows.setdefault(text, []).append(i)
    return rows
