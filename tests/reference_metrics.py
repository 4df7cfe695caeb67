"""Independent computations the tests compare longbench's numbers with: brute-force hit@K by sorting, and a task's
recalls from embeddings taken one item at a time straight from the adapter."""

from __future__ import annotations

import math
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


def brute_force_ranks(images, texts, gt) -> dict[str, float]:
    """MRR, MRR@10, nDCG@10 (percent) and median rank of both directions by sorting every list (ties: lower index
    first), written from the definitions, not from longbench's code."""
    sims = np.asarray(images, dtype=np.float64) @ np.asarray(texts, dtype=np.float64).T
    out = {}
    firsts, ndcgs = [], []
    for i in range(len(images)):
        order = sorted(range(len(texts)), key=lambda t: (-sims[i, t], t))
        relevant = [r + 1 for r, t in enumerate(order) if gt[t] == i]  # 1-based ranks of the image's captions
        firsts.append(relevant[0])
        dcg = sum(1 / math.log2(r + 1) for r in relevant if r <= 10)
        ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(relevant), 10) + 1))
        ndcgs.append(dcg / ideal)
    out["i2t"] = (100 * np.mean([1 / r for r in firsts]), 100 * np.mean(ndcgs), float(np.median(firsts)),
                  100 * np.mean([1 / r if r <= 10 else 0.0 for r in firsts]))
    firsts = []
    for t in range(len(texts)):
        order = sorted(range(len(images)), key=lambda j: (-sims[j, t], j))
        firsts.append(order.index(gt[t]) + 1)
    ndcg = [1 / math.log2(r + 1) if r <= 10 else 0.0 for r in firsts]
    out["t2i"] = (100 * np.mean([1 / r for r in firsts]), 100 * np.mean(ndcg), float(np.median(firsts)),
                  100 * np.mean([1 / r if r <= 10 else 0.0 for r in firsts]))
    return {f"{d}_{name}": value[n] for d, value in out.items()
            for n, name in enumerate(("mrr", "ndcg10", "median_rank", "mrr10"))}


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
    return {**out, **brute_force_ranks(images, texts, ds.text_to_image)}
