"""The zero-shot evaluator with a fake encoder whose embeddings are built by hand, so accuracies are exact."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from longbench.artifacts.results import ModelInfo
from longbench.datasets import ClassificationDataset
from longbench.evaluators import EVALUATORS, EvalOptions
from longbench.evaluators.zeroshot import (
    build_classifier,
    classifier_key,
    evaluate_classification,
)
from longbench.prompts import Prompts

DIM = 16
MODEL = ModelInfo(name="fake", architecture="ViT-Fake", context_length=8, pos_embed_kind="learned",
                  checkpoint_sha256="ab" * 32)


def text_vector(text: str) -> np.ndarray:
    """A fixed, unnormalised vector per text."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=DIM).astype(np.float32) * 3


class FakeEncoder:
    def __init__(self, image_vectors: np.ndarray, bad: tuple[int, ...] = (), provenance: object = MODEL):
        self.image_vectors = image_vectors
        self.bad = bad
        self.adapter = SimpleNamespace(provenance=provenance)
        self.text_calls: list[int] = []
        self.image_kwargs: dict = {}

    def texts(self, texts, **kwargs):
        self.text_calls.append(len(texts))
        lengths = np.array([len(t.split()) + 2 for t in texts])  # "tokens": words + SOT/EOT
        return SimpleNamespace(vectors=np.stack([text_vector(t) for t in texts]), token_lengths=lengths,
                               truncated=lengths > MODEL.context_length)

    workers_used = 0

    def start_images(self, images, ids, skip_bad=None, **kwargs):
        self.image_kwargs = {"skip_bad": skip_bad, **kwargs}
        kept = np.array([i for i in range(len(images)) if i not in self.bad], dtype=np.int64)
        done = SimpleNamespace(vectors=self.image_vectors[kept], kept=kept,
                               skipped=[f"{ids[i]}: broken" for i in self.bad])
        return SimpleNamespace(collect=lambda: done)


def expected_weights(templates: list[str], classnames: list[str]) -> np.ndarray:
    def norm(x):
        return x / np.linalg.norm(x, axis=-1, keepdims=True)
    return np.stack([norm(norm(np.stack([text_vector(t.replace("{c}", c)) for t in templates])).mean(0))
                     for c in classnames])


TEMPLATES = ["a photo of a {c}.", "a long long long long photo of the {c}."]
CLASSES = ["cat", "dog", "car", "ship", "frog", "horse"]


@pytest.fixture
def prompt_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"templates": ["a photo of a {c}.", "a long long long long photo of the {c}."]}')
    return str(path)


def make_dataset(n: int = 60, seed: int = 0) -> tuple[ClassificationDataset, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), size=n)
    weights = expected_weights(TEMPLATES, CLASSES)
    # Images near their class weight, with enough noise that some are wrong.
    vectors = (weights[labels] + rng.normal(scale=0.35, size=(n, DIM))).astype(np.float32)
    ds = ClassificationDataset(images=np.zeros((n, 4, 4, 3), np.uint8), labels=labels, classnames=CLASSES,
                               image_ids=[f"img{i}" for i in range(n)], fingerprint="sha256:x")
    return ds, vectors


def test_accuracy_matches_an_independent_computation(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    result = evaluate_classification(FakeEncoder(vectors), ds, prompts=prompt_file, cache_dir=tmp_path)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    logits = 100 * unit @ expected_weights(TEMPLATES, CLASSES).T
    top5 = np.argsort(-logits, axis=1)[:, :5]
    assert result.metrics["acc1"] == pytest.approx(100 * np.mean(logits.argmax(1) == ds.labels))
    assert result.metrics["acc5"] == pytest.approx(100 * np.mean((top5 == ds.labels[:, None]).any(1)))
    assert result.metrics["mean_per_class_recall"] == pytest.approx(
        100 * balanced_accuracy_score(ds.labels, logits.argmax(1)))
    assert 0 < result.metrics["acc1"] < 100  # the check is not trivially all-right or all-wrong
    assert result.prompts.startswith("file:p.json@")
    assert result.counts["n_images"] == 60 and result.counts["n_templates"] == 2
    assert set(result.timings) == {"encode_texts", "encode_images", "metrics"}


def test_class_weight_is_normalised_mean_of_normalised_template_embeddings():
    prompts = Prompts("t", TEMPLATES, CLASSES)
    encoder = FakeEncoder(np.zeros((0, DIM)))
    classifier = build_classifier(encoder, prompts, MODEL.context_length)
    np.testing.assert_allclose(classifier.weights, expected_weights(TEMPLATES, CLASSES), rtol=1e-5, atol=1e-6)
    assert classifier.truncation.n_texts == 12
    # "a long long long long photo of the horse." = 9 words + 2 = 11 tokens > 8: 3 lost, for each class
    assert classifier.truncation.n_truncated == 6 and classifier.truncation.max_tokens_lost == 3


def test_prompts_are_encoded_in_batches_of_whole_classes(monkeypatch):
    monkeypatch.setattr("longbench.evaluators.zeroshot.TEXT_BATCH", 5)
    encoder = FakeEncoder(np.zeros((0, DIM)))
    weights = build_classifier(encoder, Prompts("t", TEMPLATES, CLASSES), None).weights
    assert encoder.text_calls == [4, 4, 4]  # 2 classes x 2 templates per call
    np.testing.assert_allclose(weights, expected_weights(TEMPLATES, CLASSES), rtol=1e-5, atol=1e-6)


def test_classes_of_one_name_share_their_weights(monkeypatch):
    """ImageNet's cleaned names repeat 'missile' and 'sunglasses': each name is encoded once, so the two classes
    tie exactly (in two batches they would differ in the last bits)."""
    monkeypatch.setattr("longbench.evaluators.zeroshot.TEXT_BATCH", 5)
    encoder = FakeEncoder(np.zeros((0, DIM)))
    calls = []
    texts = encoder.texts
    encoder.texts = lambda batch, **kw: calls.append(list(batch)) or SimpleNamespace(**{
        **vars(texts(batch)), "vectors": texts(batch).vectors + 1e-6 * len(calls)})  # batch-dependent last bits
    classes = ["cat", "dog", "car", "cat"]
    classifier = build_classifier(encoder, Prompts("t", TEMPLATES, classes), MODEL.context_length)
    assert sum(map(len, calls)) == 6  # cat, dog, car: 3 names x 2 templates
    assert (classifier.weights[3] == classifier.weights[0]).all()
    assert classifier.truncation.n_texts == 8 and classifier.truncation.n_truncated == 4


def test_second_run_reads_the_cached_classifier(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    first_encoder = FakeEncoder(vectors)
    first = evaluate_classification(first_encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
    assert first_encoder.text_calls and first.counts["classifier_cached"] == 0
    assert len(list(tmp_path.glob("*.npy"))) == 1
    second_encoder = FakeEncoder(vectors)
    second = evaluate_classification(second_encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
    assert second_encoder.text_calls == [] and second.counts["classifier_cached"] == 1
    assert second.metrics == first.metrics and second.truncation == first.truncation


def test_cache_key_changes_with_model_and_prompts():
    prompts = Prompts("t", TEMPLATES, CLASSES)
    base = classifier_key(MODEL, prompts)
    other_ckpt = ModelInfo(**{**MODEL.__dict__, "checkpoint_sha256": "cd" * 32})
    other_ctx = ModelInfo(**{**MODEL.__dict__, "context_length": 248})
    others = [ModelInfo(**{**MODEL.__dict__, field: value}) for field, value in
              (("backend", "hf"), ("revision", "abc123"), ("tokenizer", "open_clip HFTokenizer (x)"))]
    assert len({classifier_key(m, prompts) for m in others} - {base}) == 3
    assert len({base, classifier_key(other_ckpt, prompts), classifier_key(other_ctx, prompts),
                classifier_key(MODEL, Prompts("t", TEMPLATES[:1], CLASSES)),
                classifier_key(MODEL, Prompts("t", TEMPLATES, CLASSES[::-1])),
                classifier_key(MODEL, prompts, precision="torch.float16")}) == 6


def test_any_provenance_object_with_the_model_fields_keys_the_cache(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    adapter_provenance = SimpleNamespace(**MODEL.__dict__)  # the adapter's own ModelInfo class, say
    for expected_calls in (1, 0):
        encoder = FakeEncoder(vectors, provenance=adapter_provenance)
        evaluate_classification(encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
        assert len(encoder.text_calls) == expected_calls


def test_corrupt_cache_entry_is_rebuilt(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    evaluate_classification(FakeEncoder(vectors), ds, prompts=prompt_file, cache_dir=tmp_path)
    (cache,) = tmp_path.glob("*.npy")
    cache.write_bytes(b"garbage")
    encoder = FakeEncoder(vectors)
    evaluate_classification(encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
    assert encoder.text_calls
    assert np.load(cache).shape == (len(CLASSES), DIM)
    assert not list(tmp_path.glob("*.tmp"))


def test_skipped_images_are_dropped_from_the_labels(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    encoder = FakeEncoder(vectors, bad=(0, 5))
    result = evaluate_classification(encoder, ds, prompts=prompt_file, cache_dir=tmp_path, skip_bad=True)
    assert encoder.image_kwargs["skip_bad"] is True
    assert result.counts["n_images"] == 58 and result.skipped == ["img0: broken", "img5: broken"]
    keep = np.setdiff1d(np.arange(60), [0, 5])
    unit = vectors[keep] / np.linalg.norm(vectors[keep], axis=1, keepdims=True)
    acc1 = 100 * np.mean((unit @ expected_weights(TEMPLATES, CLASSES).T).argmax(1) == ds.labels[keep])
    assert result.metrics["acc1"] == pytest.approx(acc1)


def test_crop_border_is_passed_to_the_image_loader(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    encoder = FakeEncoder(vectors)
    evaluate_classification(encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
    assert encoder.image_kwargs["crop_border"] == 0
    ds.crop_border = 1
    evaluate_classification(encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
    assert encoder.image_kwargs["crop_border"] == 1


def test_bootstrap_intervals(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    result = evaluate_classification(FakeEncoder(vectors), ds, prompts=prompt_file, cache_dir=tmp_path,
                                     bootstrap=50, seed=1)
    assert set(result.ci) == set(result.metrics)
    low, high = result.ci["acc1"]
    assert low <= result.metrics["acc1"] <= high


def test_default_prompts_and_task_specific_clip_set(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGBENCH_CACHE", str(tmp_path))
    ds, vectors = make_dataset()
    encoder = FakeEncoder(vectors, provenance=None)  # no provenance: nothing cached
    assert evaluate_classification(encoder, ds).prompts == "imagenet80"
    assert encoder.text_calls == [len(CLASSES) * 80]
    ds.task = "cifar10"
    assert evaluate_classification(encoder, ds, prompts="clip").counts["n_templates"] == 18
    assert not list(tmp_path.rglob("*.npy"))


def test_registered_for_the_classification_kind(tmp_path, prompt_file):
    ds, vectors = make_dataset()
    result = EVALUATORS.get("classification")(FakeEncoder(vectors), ds,
                                              EvalOptions(prompts=prompt_file, cache_dir=tmp_path))
    assert "acc1" in result.metrics


def test_a_non_finite_cached_classifier_is_damage_and_rebuilt(tmp_path, prompt_file):
    """A NaN entry in the cache would give every image the same (NaN) logits: it is rebuilt, never used."""
    ds, vectors = make_dataset()
    fresh = evaluate_classification(FakeEncoder(vectors), ds, prompts=prompt_file, cache_dir=tmp_path)
    (cache,) = tmp_path.glob("*.npy")
    weights = np.load(cache)
    weights[2, 5] = np.nan
    np.save(cache, weights)
    encoder = FakeEncoder(vectors)
    again = evaluate_classification(encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
    assert encoder.text_calls and again.counts["classifier_cached"] == 0
    assert again.metrics == fresh.metrics
    assert np.isfinite(np.load(cache)).all()


def test_non_finite_prompt_embeddings_name_the_class(tmp_path, prompt_file):
    from longbench.errors import NonFiniteError

    ds, vectors = make_dataset()
    encoder = FakeEncoder(vectors)
    clean = encoder.texts
    encoder.texts = lambda texts, **kw: SimpleNamespace(**{**vars(clean(texts)), "vectors": np.where(
        np.array(["dog" in t for t in texts])[:, None], np.inf, clean(texts).vectors)})
    with pytest.raises(NonFiniteError, match=r"classifier .* for class 1 'dog'"):
        evaluate_classification(encoder, ds, prompts=prompt_file, cache_dir=tmp_path)
    assert not list(tmp_path.glob("*.npy"))


def test_non_finite_image_embeddings_name_the_image_in_the_logits(tmp_path, prompt_file):
    from longbench.errors import NonFiniteError

    ds, vectors = make_dataset()
    vectors[7] = np.nan
    with pytest.raises(NonFiniteError, match=r"zero-shot logits produced NaN/Inf for image img7"):
        evaluate_classification(FakeEncoder(vectors), ds, prompts=prompt_file, cache_dir=tmp_path)
