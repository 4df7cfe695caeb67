"""Independent computations the tests compare longbench's numbers with: brute-force hit@K by sorting, and a task's
recalls from embeddings taken one item at a time straight from the adapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from longbench.adapters import load_model
from longbench.datasets import LoadOptions
from longbench.tasks import get_task


def brute_force(images, texts, gt, k):
    sims = images @ texts.T
    i2t = []
    for i in range(len(images)):
        order = sorted(range(len(texts)), key=lambda t: (-sims[i, t], t))[:k]
        i2t.append(any(gt[t] == i for t in order))
    t2i = []
    for t in range(len(texts)):
        order = sorted(range(len(images)), key=lambda j: (-sims[j, t], j))[:k]
        t2i.append(gt[t] in order)
    return 100 * np.mean(i2t), 100 * np.mean(t2i)


def independent_metrics(model: str, task_name: str, root: Path) -> dict[str, float]:
    """Embeddings straight from the adapter, one item at a time, and brute-force sorted recall."""
    adapter = load_model(model)
    task = get_task(task_name)
    ds = task.load(task.root(root), LoadOptions())
    images = np.stack([
        adapter.encode_image(adapter.preprocess(Image.open(p).convert("RGB"))[None]).numpy()[0] for p in ds.images])
    texts = np.stack([adapter.encode_text(adapter.tokenize([t])).numpy()[0] for t in ds.texts])
    out = {}
    for k in (1, 5, 10):
        out[f"i2t_r{k}"], out[f"t2i_r{k}"] = brute_force(images, texts, ds.text_to_image, k)
    return out
