"""Models known from their manifest: a run with nothing to encode never loads the weights, and gives the numbers a
loaded model gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from longbench import deferred_model
from longbench.adapters import load_model
from longbench.adapters.families.tiny import tiny_state_dict
from longbench.cache_home import MANIFESTS, cache_folder
from longbench.deferred_model import DeferredModel, load_remembered, manifest_key
from longbench.errors import CheckpointError
from longbench.runner import RunConfig, run
from tests.helpers.checkpoints import save_torch
from tests.helpers.samples import write_samples


@pytest.fixture
def ckpt(tmp_path) -> Path:
    return save_torch(tiny_state_dict(seed=1), tmp_path / "step-1.pt")


@pytest.fixture
def loads(monkeypatch):
    """The requests that really loaded a model."""
    seen = []
    real = deferred_model.load_model
    monkeypatch.setattr(deferred_model, "load_model",
                        lambda name, checkpoint, **kw: seen.append((name, checkpoint)) or real(name, checkpoint, **kw))
    return seen


def test_the_second_load_of_a_checkpoint_is_deferred_and_the_same_model(ckpt, loads):
    first = load_remembered(None, ckpt, label="mine")
    second = load_remembered(None, ckpt, label="mine")
    assert not isinstance(first, DeferredModel) and isinstance(second, DeferredModel) and not second.loaded
    assert len(loads) == 1
    assert second.provenance == first.provenance and second.name == "mine"
    assert (second.context_length, second.embed_dim, second.text_spec) == (first.context_length, first.embed_dim,
                                                                           first.text_spec)
    texts = ["a photo of a cat", "a much longer caption about a dog that runs across a field of grass"]
    assert torch.equal(second.tokenize(texts).ids, first.tokenize(texts).ids)
    assert not second.loaded  # CLIP BPE needs no weights
    batch = first.tokenize(texts)
    assert torch.equal(second.encode_text(batch), first.encode_text(batch))
    assert second.loaded and len(loads) == 2 and second.load_seconds > 0


def test_requests_that_read_other_files_have_no_manifest(ckpt, tmp_path):
    assert manifest_key(None, ckpt, None, False) is not None
    assert manifest_key("open_clip:ViT-B-32", ckpt, None, False) is not None
    assert manifest_key("tiny-clip", None, None, False) is None  # no checkpoint file: weights from elsewhere
    assert manifest_key("prolip:org/repo", ckpt, None, False) is None  # a Hub repository's config
    assert manifest_key(str(tmp_path), ckpt, None, False) is None  # a model folder
    assert manifest_key(None, tmp_path / "missing.pt", None, False) is None
    assert manifest_key(None, ckpt, "a", False) != manifest_key(None, ckpt, "b", False)


def test_no_cache_neither_reads_nor_writes_a_manifest(ckpt, loads):
    load_remembered(None, ckpt, remember=False)
    load_remembered(None, ckpt, remember=False)
    assert len(loads) == 2 and not list(cache_folder(MANIFESTS).rglob("*.json"))


def test_a_manifest_that_does_not_match_the_loaded_model_stops_the_run(ckpt):
    load_remembered(None, ckpt)
    [path] = cache_folder(MANIFESTS).rglob("*.json")
    record = json.loads(path.read_text())
    record["value"]["provenance"]["architecture"] = "something else"
    path.write_text(json.dumps(record))
    deferred = load_remembered(None, ckpt)
    with pytest.raises(CheckpointError, match="delete that file"):
        deferred.encode_image(torch.zeros(1, 3, 32, 32))


def test_runs_with_everything_cached_or_kept_never_load_the_model(ckpt, tmp_path, loads):
    data = write_samples(tmp_path / "data", "urban1k", 8, seed=3)

    def config(output: str, **kw) -> RunConfig:
        return RunConfig(data_root=data, output=tmp_path / output, progress=False, **kw)

    [cold] = run(None, "urban1k", config("cold"), checkpoint=ckpt)
    [warm] = run(None, "urban1k", config("warm"), checkpoint=ckpt)
    [kept] = run(None, "urban1k", config("cold"), checkpoint=ckpt, skip_existing=True)
    assert len(loads) == 1  # the cold run's
    assert warm.result.metrics == cold.result.metrics and warm.result.model == cold.result.model
    assert warm.result.environment == cold.result.environment | {"embedding_cache": warm.result.environment[
        "embedding_cache"]}
    assert kept.reused and kept.result.metrics == cold.result.metrics

    [other] = run(None, "urban1k", config("other", batch_size=3), checkpoint=ckpt)  # new batches: encoded
    assert len(loads) == 2 and other.result.timings["model_load"] > warm.result.timings["model_load"]
    assert other.result.metrics == pytest.approx(cold.result.metrics, abs=1e-9)


def test_the_model_loaded_for_a_manifest_is_the_one_load_model_gives(ckpt):
    real = load_model(None, ckpt)
    load_remembered(None, ckpt)
    deferred = load_remembered(None, ckpt)
    assert deferred.preprocess is deferred.model.preprocess
    assert deferred.model.provenance == real.provenance
