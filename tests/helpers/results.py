"""Result files' content without a model or data: for the artifacts tests (files, filing) and the report tests
(tables, gate), which write many of them."""

from __future__ import annotations

import math

from longbench.artifacts.results import ModelInfo, Origin, Result, TaskInfo, Truncation

PROTOCOLS = {
    "urban1k": "urban1k: 1000 pairs 1:1",
    "urban-200": "urban-200: 200 pairs 1:1",
    "sharegpt4v-1k": "sharegpt4v: first 1000",
    "coco": "coco val2017 5k",
    "coco-karpathy": "coco karpathy 5k test",
    "flickr30k": "flickr30k karpathy 1k test",
    "flickr30k-full": "flickr30k full",
    "imagenet": "imagenet val, 80 templates",
    "cifar10": "cifar10 test",
}
#: How an imported result records its origin (`longbench import clip-benchmark` writes such files).
IMPORTED_FROM = Origin(tool="clip_benchmark", version="1.6.1", source="benchmark_urban1k.json")
CLASSIFICATION = {"imagenet", "cifar10", "cifar100", "objectnet"}
#: Licences the result files of these test models record (none for the others).
LICENCES = {"longclip-B": "Apache-2.0", "clip-B": "MIT"}


def retrieval(i2t: float, t2i: float) -> dict[str, float]:
    """Recall@1/5/10 from R@1 as given (even out of range, for the tests that need one), R@5 and R@10 a few points
    up but at most 100."""
    return {f"{d}_r{k}": r1 if k == 1 or not math.isfinite(r1) else min(r1 + up, 100.0)
            for d, r1 in (("i2t", i2t), ("t2i", t2i)) for k, up in ((1, 0), (5, 5), (10, 8))}


def make_result(model: str = "m", task: str = "urban1k", metrics: dict[str, float] | None = None,
                **task_fields) -> Result:
    """`model`'s result on `task` (2 images; `task_fields` override TaskInfo's, `kind` too), created at a fixed time
    so that "the newest wins" is decided by the times a test gives. A retrieval result has every optional part filled
    (texts, truncation counts, per-length metrics), so that a round trip covers them."""
    kind = task_fields.pop("kind", "classification" if task in CLASSIFICATION else "retrieval")
    texts = {"n_texts": 2} if kind == "retrieval" else {}
    info = {"protocol": PROTOCOLS.get(task, task), "n_images": 2, **texts, "fingerprint": "sha256:x", **task_fields}
    result = Result(
        model=ModelInfo(model, "ViT-B-16", 77, "learned", licence=LICENCES.get(model)),
        task=TaskInfo(task, kind, **info),
        metrics={"i2t_r1": 50.0} if metrics is None else metrics,
        environment={"torch": "x"},
        timings={"load": 0.1},
        created="2024-05-01T00:00:00+00:00",
    )
    if kind == "retrieval":
        result.truncation = Truncation(2, 1, 3.0, 3)
        result.by_length = {"21-77": {"n_texts": 2, "i2t_r1": 50.0}}
    return result
