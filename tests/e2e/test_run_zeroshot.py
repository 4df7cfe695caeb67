"""`longbench run --tasks zeroshot` end to end on generated ImageNet/CIFAR/ObjectNet data, checked against an
independent computation of the protocol (class weights, logits, top-k, balanced accuracy)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import balanced_accuracy_score
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.artifacts.results import read_result
from longbench.cli import app
from longbench.datasets import LoadOptions
from longbench.tasks import get_task
from tests.helpers.samples import write_samples

TEMPLATES = ["a photo of a {c}.", "a blurry photo of the {c}.", "itap of a {c}."]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return write_samples(tmp_path_factory.mktemp("zs"), "zeroshot", 12, seed=5)


def independent(model: str, task_name: str, root: Path) -> dict[str, float]:
    adapter = load_model(model)
    task = get_task(task_name)
    ds = task.load(task.root(root), LoadOptions())
    weights = []
    for name in ds.classnames:
        prompts = adapter.encode_text(adapter.tokenize([t.replace("{c}", name) for t in TEMPLATES]))
        mean = prompts.mean(0)
        weights.append(mean / mean.norm())
    w = torch.stack(weights).numpy()
    feats = []
    for img in ds.images:
        pil = Image.fromarray(img) if isinstance(img, np.ndarray) else Image.open(img).convert("RGB")
        if ds.crop_border:
            pil = pil.crop((1, 1, pil.width - 1, pil.height - 1))
        feats.append(adapter.encode_image(adapter.preprocess(pil)[None]).numpy()[0])
    logits = 100 * np.stack(feats) @ w.T
    order = np.argsort(-logits, axis=1, kind="stable")
    out = {"acc1": 100 * np.mean(order[:, 0] == ds.labels),
           "mean_per_class_recall": 100 * balanced_accuracy_score(ds.labels, order[:, 0])}
    if len(ds.classnames) >= 5:
        out["acc5"] = 100 * np.mean([label in row[:5] for label, row in zip(ds.labels, order, strict=True)])
    return out


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")  # expected: mean over present classes
@pytest.mark.slow
def test_zeroshot_group_matches_an_independent_computation(data_root, tmp_path):
    templates = tmp_path / "prompts.json"
    templates.write_text(json.dumps({"templates": TEMPLATES}))
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", "-m", "tiny-clip", "-t", "zeroshot", "-d", str(data_root), "-o",
                                      str(out), "--templates", str(templates), "-q", "--bootstrap", "10"])
    assert result.exit_code == 0, result.output
    for task in ("imagenet", "cifar10", "cifar100", "objectnet"):
        res = read_result(out / "tiny-clip" / f"{task}.json")
        assert res.kind == "classification" and res.task.prompts.startswith("file:prompts.json")
        classes = len(get_task(task).load(get_task(task).root(data_root), LoadOptions()).classnames)
        assert res.task.n_classes == classes
        if task != "objectnet":  # the ObjectNet sample maps only a few classes; the others keep their full lists
            assert classes == {"imagenet": 1000, "cifar10": 10, "cifar100": 100}[task]
        expected = independent("tiny-clip", task, data_root)
        assert set(res.metrics) == set(expected)
        for name, value in expected.items():
            assert res.metrics[name] == pytest.approx(value, abs=1e-9), (task, name)
        assert set(res.ci) == set(expected)


def test_no_cache_records_the_truncation_a_cached_run_records(data_root, tmp_path):
    from longbench.runner import RunConfig, run

    def truncation(**kw):
        config = RunConfig(data_root=data_root, output=tmp_path / str(kw), device="cpu", progress=False,
                           cache_dir=tmp_path / "cache", **kw)
        return run("tiny-clip", "cifar10", config)[0].result.truncation

    cached = truncation()
    assert cached is not None and cached.n_texts == 10 * 80
    assert truncation(cache=False) == cached == truncation()  # built, uncached, and read back
