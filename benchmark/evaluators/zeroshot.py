"""Zero-shot classification: class weights from prompts, logits = 100 * image @ W, metrics over the images.

The classifier (one weight vector per class: the normalised mean of the normalised embeddings of its prompts) is
cached per model and prompt set, so a second run does not re-encode ImageNet's 80,000 prompts.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..adapters.core.scoring import scoring_of
from ..artifacts.atomic import atomic_open, write_json_atomic
from ..artifacts.results import Truncation
from ..cache_home import CLASSIFIERS, cache_folder
from ..datasets import ClassificationDataset
from ..distributed import Group
from ..encode import distinct
from ..finite import require_finite
from ..metrics.classification import Ranked, classification_ci, classification_metrics, rank_logits
from ..prompts import Prompts, resolve_prompts
from ..provenance import ModelInfo
from .base import EvalOptions, Evaluation, register_evaluator

#: Bump when the way class weights are built changes, so that old cache entries are not reused (2: classes of one
#: name share one encoding).
CLASSIFIER_VERSION = 2
#: Prompts per `encoder.texts` call: bounds memory (ImageNet has 80,000 prompts).
TEXT_BATCH = 4096
#: Images per logits block: bounds the [block, n_classes] logits matrix.
LOGIT_BLOCK = 4096


_PROVENANCE_FIELDS = ("name", "checkpoint_sha256", "architecture", "context_length", "pos_embed_kind", "backend",
                      "revision", "tokenizer", "text_spec")


def classifier_key(model: ModelInfo, prompts: Prompts, precision: str = "") -> str:
    """Hash of what determines the class weights: the model's provenance and precision, the exact templates and
    class names."""
    material = {
        "version": CLASSIFIER_VERSION,
        "model": [getattr(model, f) for f in _PROVENANCE_FIELDS],
        "precision": precision,
        "templates": prompts.templates,
        "classnames": prompts.classnames,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class Classifier:
    weights: np.ndarray
    truncation: Truncation | None
    cached: bool


def build_classifier(encoder: Any, prompts: Prompts, context_length: int | None) -> Classifier:
    """Encode every prompt, in batches of whole classes, and average per class.

    Classes of one name (ImageNet's cleaned names repeat 'missile' and 'sunglasses') are built once and share
    their weights: built in different batches they would differ in the last bits, and break the tie between them.
    """
    names, name_of_class = distinct(prompts.classnames, lambda name: name)
    per_call = max(1, TEXT_BATCH // len(prompts.templates))
    weights, raw_lengths, truncated = [], [], []
    for start in range(0, len(names), per_call):
        chunk = names[start:start + per_call]
        emb = encoder.texts([text for name in chunk for text in prompts.texts(name)],
                            desc=f"prompts, classes {start + 1}-{start + len(chunk)} of {len(names)}")
        vectors = _normalise(scoring_of(getattr(encoder, "adapter", None)).means(np.asarray(emb.vectors, np.float32)))
        weights.append(_normalise(vectors.reshape(len(chunk), len(prompts.templates), -1).mean(axis=1)))
        raw_lengths.append(np.asarray(emb.token_lengths).reshape(len(chunk), -1))
        truncated.append(np.asarray(emb.truncated, dtype=bool).reshape(len(chunk), -1))
    # Every class's prompts count in the truncation summary, as each class's prompts are its own.
    truncation = _truncation(np.concatenate(raw_lengths)[name_of_class].ravel(),
                             np.concatenate(truncated)[name_of_class].ravel(), context_length)
    classifier = Classifier(np.concatenate(weights).astype(np.float32)[name_of_class], truncation, cached=False)
    require_finite(classifier.weights, _model_name(encoder), "classifier (class weights from prompts)",
                   lambda row: f"class {row} {prompts.classnames[row]!r}")
    return classifier


def cached_classifier(encoder: Any, prompts: Prompts, model: ModelInfo | None,
                      cache_dir: Path | None, use_cache: bool = True) -> Classifier:
    """The classifier from `<cache_dir>/<key>.npy` when present and well-formed, else built and stored.

    Without a cache (`use_cache` False, or no provenance to key it on) it is built every time, with the same
    truncation summary as a cached run records.
    """
    if model is None or not use_cache:
        return build_classifier(encoder, prompts, model.context_length if model is not None else None)
    directory = Path(cache_dir) if cache_dir is not None else cache_folder(CLASSIFIERS)
    # fp16 and fp32 text towers give slightly different weights: the encoder's precision is part of the key.
    key = classifier_key(model, prompts, getattr(encoder, "precision", ""))
    array_path, meta_path = directory / f"{key}.npy", directory / f"{key}.json"
    hit = _read_cached(array_path, meta_path, len(prompts.classnames))
    # Under torchrun the ranks encode prompts together: all use their cache entries, or all build (rank 0 writes).
    group = getattr(encoder, "group", Group())
    if group.all(hit is not None):
        return hit
    classifier = build_classifier(encoder, prompts, model.context_length)
    if not group.main:
        return classifier
    # The metadata goes first: the .npy's presence is what marks an entry complete.
    write_json_atomic(meta_path, {
        "model": {f: getattr(model, f) for f in _PROVENANCE_FIELDS}, "prompts": prompts.name,
        "n_classes": len(prompts.classnames), "n_templates": len(prompts.templates),
        "truncation": asdict(classifier.truncation) if classifier.truncation else None,
    })
    _save_npy_atomic(array_path, classifier.weights)
    return classifier


def evaluate_classification(encoder: Any, dataset: ClassificationDataset, *, prompts: str | None = None,
                            cache_dir: Path | None = None, bootstrap: int = 0, seed: int = 0,
                            task_name: str | None = None, skip_bad: bool | None = None,
                            use_cache: bool = True) -> Evaluation:
    """Zero-shot top-1/top-5/mean-per-class-recall of `encoder` on `dataset`.

    prompts: a prompt-set name or JSON file (default: the prompts the dataset ships with, else its default set).
    task_name selects the task-specific prompts of the `clip` set (default: the dataset's `task`). skip_bad: drop
    images that do not decode (None: the encoder's setting). use_cache: False builds the classifier without reading
    or writing the cache.
    """
    timings: dict[str, float] = {}
    task = task_name or dataset.task
    chosen = dataset.prompts if prompts is None and dataset.prompts is not None else resolve_prompts(
        prompts or dataset.default_prompts, task, dataset.classnames, default=dataset.default_prompts)

    # Decoding workers decode images while this process builds the classifier. Without workers nothing would
    # overlap: images first then, so a dataset whose images all fail stops before ImageNet's 80,000 prompts are
    # encoded.
    start = time.perf_counter()
    stream = encoder.start_images(dataset.images, dataset.image_ids, skip_bad=skip_bad,
                                  crop_border=dataset.crop_border, desc=f"{dataset.task} images")
    images = None if encoder.workers_used else stream.collect()
    timings["encode_images"] = time.perf_counter() - start

    start = time.perf_counter()
    classifier = cached_classifier(encoder, chosen, _provenance(encoder), cache_dir, use_cache)
    timings["encode_texts"] = time.perf_counter() - start

    if images is None:
        start = time.perf_counter()
        images = stream.collect()
        timings["encode_images"] += time.perf_counter() - start

    start = time.perf_counter()
    labels = dataset.labels[np.asarray(images.kept, dtype=np.int64)]
    kept_ids = [dataset.image_ids[i] for i in images.kept]
    image_means = scoring_of(getattr(encoder, "adapter", None)).means(np.asarray(images.vectors, np.float32))
    ranked = _rank(_normalise(image_means), classifier.weights, labels,
                   _model_name(encoder), kept_ids)
    metrics = classification_metrics(ranked)
    ci = classification_ci(ranked, bootstrap, seed) if bootstrap else {}
    timings["metrics"] = time.perf_counter() - start

    return Evaluation(
        metrics=metrics,
        ci=ci,
        truncation=classifier.truncation,
        timings=timings,
        prompts=chosen.name,
        counts={"n_images": len(labels), "n_classes": len(chosen.classnames), "n_templates": len(chosen.templates),
                "skipped_images": len(images.skipped), "classifier_cached": int(classifier.cached)},
        skipped=list(images.skipped),
    )


def _rank(image_vectors: np.ndarray, weights: np.ndarray, labels: np.ndarray, model: str,
          image_ids: list[str]) -> Ranked:
    """Rank and top-1 of every image; NaN/Inf logits are an error naming the first such image."""
    ranks, predictions = [], []
    for start in range(0, len(labels), LOGIT_BLOCK):
        logits = 100.0 * image_vectors[start:start + LOGIT_BLOCK] @ weights.T
        require_finite(logits, model, "zero-shot logits", lambda row, start=start: f"image {image_ids[start + row]}")
        r, p = rank_logits(logits, labels[start:start + LOGIT_BLOCK])
        ranks.append(r)
        predictions.append(p)
    empty = np.zeros(0, dtype=np.int64)
    return Ranked(np.concatenate(ranks) if ranks else empty, np.concatenate(predictions) if predictions else empty,
                  labels, len(weights))


def _model_name(encoder: Any) -> str:
    return str(getattr(getattr(encoder, "adapter", None), "name", "the model"))


def _provenance(encoder: Any) -> ModelInfo | None:
    provenance = getattr(getattr(encoder, "adapter", None), "provenance", None)
    return provenance if all(hasattr(provenance, f) for f in _PROVENANCE_FIELDS) else None


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _truncation(raw_lengths: np.ndarray, truncated: np.ndarray, context_length: int | None) -> Truncation | None:
    """Prompt truncation; tokens lost are averaged over the truncated prompts (0 when none was cut)."""
    if context_length is None:
        return None
    lost = np.maximum(raw_lengths - context_length, 0)[truncated]
    return Truncation(n_texts=len(raw_lengths), n_truncated=int(truncated.sum()),
                      mean_tokens_lost=float(lost.mean()) if len(lost) else 0.0,
                      max_tokens_lost=int(lost.max()) if len(lost) else 0)


def _read_cached(array_path: Path, meta_path: Path, n_classes: int) -> Classifier | None:
    """A cache entry, or None when it is absent or unreadable (a cache is rebuilt, never trusted blindly)."""
    if not array_path.is_file():
        return None
    try:
        weights = np.load(array_path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    # A non-finite entry is damage (a NaN model never gets this far: build_classifier refuses it): rebuild.
    if weights.ndim != 2 or len(weights) != n_classes or weights.dtype != np.float32 or not np.isfinite(weights).all():
        return None
    truncation = None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        truncation = Truncation(**meta["truncation"]) if meta.get("truncation") else None
    except (OSError, ValueError, KeyError, TypeError):
        pass  # the weights are what matters; the truncation summary is then unknown
    return Classifier(weights, truncation, cached=True)


def _save_npy_atomic(path: Path, array: np.ndarray) -> None:
    with atomic_open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


@register_evaluator("classification")
def evaluate(encoder: Any, dataset: ClassificationDataset, options: EvalOptions) -> Evaluation:
    return evaluate_classification(encoder, dataset, prompts=options.prompts,
                                   cache_dir=cache_folder(CLASSIFIERS, options.cache_dir),
                                   bootstrap=options.bootstrap, seed=options.seed, use_cache=options.cache)
