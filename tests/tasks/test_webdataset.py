"""`wds:` tasks: CLIP_benchmark's WebDataset shards, read in place, give CLIP_benchmark's samples and numbers.

The numbers are checked twice on shards written here: against a brute-force computation from embeddings taken one
item at a time (tests/reference_metrics.py), and, where clip_benchmark is installed (it is a test dependency), with
CLIP_benchmark's own reader (`build_wds_dataset`) and metric functions (`zeroshot_retrieval.evaluate`,
`zeroshot_classification.evaluate`) fed those same embeddings.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import balanced_accuracy_score

from longbench.adapters import load_model
from longbench.cache_home import WEBDATASETS, cache_folder
from longbench.data.decoders import read_jpeg_or_pixels
from longbench.data.images import open_rgb
from longbench.data.tar_member import TarMember
from longbench.datasets import ClassificationDataset, LoadOptions, RetrievalDataset
from longbench.embedding_cache import image_fingerprints
from longbench.encode import image_identity
from longbench.errors import DataError
from longbench.runner import RunConfig, run
from longbench.tasks import get_task
from longbench.tasks.webdataset import hub_repo, write_shards
from tests.reference_metrics import brute_force, brute_force_ranks

from .wds_shards import classification_shards, image_bytes, make_shards, retrieval_shards, write_tar


def load(folder: Path, **options) -> RetrievalDataset | ClassificationDataset:
    task = get_task(f"wds:{folder}")
    return task.load(task.root(None), LoadOptions(**options))


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("wds")
    return {"retrieval": retrieval_shards(base / "flickr_wds"),
            "classification": classification_shards(base / "cls_wds")}


# --- reading ------------------------------------------------------------------------------------------------

def test_samples_are_grouped_and_ordered_as_webdataset_groups_them(shards):
    ds = load(shards["retrieval"])
    assert ds.image_ids == ["s000", "s001", "s002", "s003", "d/s004", "s005", "s006"]
    assert [img.member for img in ds.images] == ["s000.jpg", "s001.png", "s002.webp", "s003.JPEG", "d/s004.webp",
                                                 "s005.jpeg", "s006.jpeg"]
    # every line a caption (str.splitlines), the empty one kept and counted; the trailing newline adds none
    assert ds.texts[1:4] == ["two dogs", "playing in the snow", "one line only"]
    assert ds.texts[4:7] == ["first caption", "", "third line after an empty one"]
    assert ds.text_to_image.tolist() == [0, 1, 1, 2, 3, 3, 3, 4, 5, 5, 6]
    assert ds.counts["empty_captions"] == 1 and "1 empty caption(s) kept" in ds.warnings[0]


def test_images_are_read_in_place_from_the_shard(shards, tmp_path):
    ds = load(shards["retrieval"])
    member = ds.images[0]
    with tarfile.open(member.archive) as tar:
        expected = tar.extractfile(member.member).read()
    assert member.read_bytes() == expected
    (tmp_path / "x.jpg").write_bytes(expected)
    assert np.array_equal(np.asarray(open_rgb(member)), np.asarray(open_rgb(tmp_path / "x.jpg")))
    kind, data = read_jpeg_or_pixels(member, 0)  # the tensor and GPU decoders' path
    assert kind == "jpeg" and bytes(data.numpy()) == expected
    assert read_jpeg_or_pixels(ds.images[1], 0)[0] == "pixels"  # a PNG goes through PIL
    assert not list(shards["retrieval"].rglob("*.jpg"))  # nothing unpacked


def test_a_member_is_keyed_by_content_and_one_member_is_one_image(tmp_path):
    folder = make_shards(tmp_path / "w", [[("a.jpg", image_bytes(1)), ("a.txt", b"x"),
                                           ("b.jpg", image_bytes(1)), ("b.txt", b"y")]])
    ds = load(folder)
    a, b = ds.images
    # equal bytes, equal digest; the key still names the member (a failure's reason names it)
    assert image_fingerprints([a])[0].endswith(image_fingerprints([b])[0][-16:])
    assert image_fingerprints([a]) != image_fingerprints([b])
    assert image_identity([a, b], 0) != image_identity([a, b], 1)
    assert image_identity([a, TarMember(a.archive, a.member, a.offset, a.size)], 1) == image_identity([a, b], 0)
    before, fingerprint = image_fingerprints([a]), ds.fingerprint
    make_shards(folder, [[("a.jpg", image_bytes(2)), ("a.txt", b"x"), ("b.jpg", image_bytes(1)), ("b.txt", b"y")]])
    changed = load(folder)
    assert image_fingerprints([changed.images[0]]) != before and changed.fingerprint != fingerprint


def test_classification_reads_labels_classnames_and_shipped_templates(shards):
    ds = load(shards["classification"])
    assert isinstance(ds, ClassificationDataset)
    assert ds.labels.tolist() == [i % 6 for i in range(12)] and ds.classnames == [f"thing {c}" for c in range(6)]
    assert ds.prompts.templates == ["a photo of a {c}.", "a drawing of the {c}.", "itap of my {c}."]
    assert ds.prompts.name.startswith("wds:zeroshot_classification_templates.txt@")
    assert get_task(f"wds:{shards['classification']}").meta.kind == "classification"


def test_limit_keeps_the_first_samples(shards):
    ds = load(shards["retrieval"], limit=2)
    assert ds.image_ids == ["s000", "s001"] and len(ds.texts) == 3


def test_nshards_is_optional_and_then_every_numbered_shard_is_read(tmp_path):
    one = [("a.png", image_bytes(1, "PNG")), ("a.txt", b"one")]
    two = [("b.png", image_bytes(2, "PNG")), ("b.txt", b"two")]
    folder = make_shards(tmp_path / "w", [one, two], nshards=None)
    assert load(folder).image_ids == ["a", "b"]


def test_a_missing_dataset_type_means_classification_as_in_clip_benchmark(tmp_path):
    folder = make_shards(tmp_path / "w", [[("a.png", image_bytes(1, "PNG")), ("a.cls", b"1")]], dataset_type=None,
                         classnames=["x", "y"], templates=["a {c}"])
    assert load(folder).labels.tolist() == [1]


@pytest.mark.parametrize("case,message", [
    ("no_image", r"test/0\.tar b has no image \(\.webp, \.png, \.jpg, \.jpeg\); its files: json, txt"),
    ("no_caption", r"test/0\.tar b has no b\.txt"),
    ("empty_caption_file", r"test/0\.tar b\.txt holds no caption"),
    ("key_twice", r"key 'a' is in test/0\.tar and again in test/1\.tar"),
    ("member_twice", r"test/0\.tar has a\.jpg twice in one sample"),
    ("nshards_more", r"test/nshards\.txt says 3 \(0\.tar \.\.\. 2\.tar\), found 2 numbered shard\(s\)"),
    ("nshards_fewer", r"test/nshards\.txt says 1 \(0\.tar \.\.\. 0\.tar\), found 2 numbered shard\(s\)"),
    ("nshards_text", r"test/nshards\.txt holds 'two', expected the number of shards"),
    ("gap", r"without test/nshards\.txt, the shards must be numbered from 0 .* found 1 numbered shard\(s\) .*: 1\.tar"),
    ("not_tar", r"test/1\.tar is not a tar archive"),
    ("gzip", r"test/1\.tar is a compressed tar archive; longbench reads shards in place, so decompress it first"),
    ("empty_shard", r"test/1\.tar holds no sample"),
    ("unknown_type", r"dataset_type\.txt says 'captioning', expected retrieval or classification"),
    ("multilabel", r"dataset_type\.txt says multilabel, which longbench does not evaluate"),
    ("no_split", r"test not found \(expected layout"),
])
def test_bad_shards_are_refused_in_one_line(tmp_path, case, message):
    a = [("a.jpg", image_bytes(1)), ("a.txt", b"one")]
    shards = {"no_image": [a + [("b.txt", b"x"), ("b.json", b"{}")]], "no_caption": [a + [("b.jpg", image_bytes(2))]],
              "empty_caption_file": [a + [("b.jpg", image_bytes(2)), ("b.txt", b"")]],
              "key_twice": [a, a], "member_twice": [a + [("a.jpg", image_bytes(2))]],
              "empty_shard": [a, []]}.get(case, [a, [("b.jpg", image_bytes(2)), ("b.txt", b"two")]])
    folder = make_shards(tmp_path / "w", shards, nshards={"nshards_more": 3, "nshards_fewer": 1, "gap": None}.get(
        case, True), dataset_type={"unknown_type": "Captioning", "multilabel": "multilabel"}.get(case, "retrieval"))
    if case == "nshards_text":
        (folder / "test" / "nshards.txt").write_text("two")
    if case == "gap":
        (folder / "test" / "0.tar").rename(folder / "test" / "x.tar")
    if case == "not_tar":
        (folder / "test" / "1.tar").write_bytes(b"<html>not found</html>")
    if case == "gzip":
        with tarfile.open(folder / "test" / "1.tar", "w:gz") as tar:
            tar.add(folder / "dataset_type.txt", "b.txt")
    if case == "no_split":
        for path in (folder / "test").iterdir():
            path.unlink()
        (folder / "test").rmdir()
    with pytest.raises(DataError, match=message) as err:
        load(folder)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("change,message", [
    ({"k001.cls": b"6"}, r"k001\.cls is class 6, but classnames\.txt names 6 classes \(0 \.\.\. 5\)"),
    ({"k001.cls": b"dog"}, r"k001\.cls holds 'dog', expected a class index"),
    ({"templates": "a photo of a {}.\n"}, r"template 0 'a photo of a \{\}\.' has no \{c\} slot .*write \{c\}"),
    ({"classnames": None}, r"classnames\.txt not found \(a classification dataset needs classnames\.txt and"),
])
def test_bad_classification_metadata_is_refused(tmp_path, change, message):
    folder = classification_shards(tmp_path / "w", n=4, classes=6)
    if "templates" in change:
        (folder / "zeroshot_classification_templates.txt").write_text(change["templates"])
    if "classnames" in change:
        (folder / "classnames.txt").unlink()
    if "k001.cls" in change:
        with tarfile.open(folder / "test" / "0.tar") as tar:
            members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
        write_tar(folder / "test" / "0.tar", [(n, change.get(n, d)) for n, d in members])
    with pytest.raises(DataError, match=message):
        load(folder)


def test_results_are_named_after_the_folder_which_must_not_be_a_task_name(tmp_path):
    with pytest.raises(DataError, match=r"results are named after the folder \('coco'\), which is a built-in"):
        get_task(f"wds:{tmp_path / 'coco'}")


def test_status_and_samples_of_both_kinds(tmp_path):
    task = get_task(f"wds:{tmp_path / 'mine'}")
    assert task.status(task.root(None)).state == "missing" and task.meta.kind == "classification"  # no type file
    task.write_sample(task.root(None), 5)
    assert task.status(task.root(None)).found == {"images": 5}
    write_shards(tmp_path / "ret", 5, "retrieval")
    task = get_task(f"wds:{tmp_path / 'ret'}")
    status = task.status(task.root(None))
    assert status.state == "found" and status.found == {"images": 5, "texts": 6}
    formats = {Image.open(img.open()).format for img in load(tmp_path / "ret").images}
    assert formats == {"JPEG", "PNG", "WEBP"}
    (tmp_path / "ret" / "test" / "1.tar").write_bytes(b"")
    assert task.status(task.root(None)).state == "incomplete"


# --- the Hub ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,expected", [
    ("https://huggingface.co/datasets/clip-benchmark/wds_flickr30k", ("clip-benchmark/wds_flickr30k", None)),
    ("https://huggingface.co/datasets/clip-benchmark/wds_flickr30k/tree/main", ("clip-benchmark/wds_flickr30k",
                                                                                "main")),
    ("hf://clip-benchmark/wds_flickr30k", ("clip-benchmark/wds_flickr30k", None)),
    ("hf://datasets/clip-benchmark/wds_cifar10@abc123", ("clip-benchmark/wds_cifar10", "abc123")),
    ("/data/wds_flickr30k", None),
    ("hf://only-one-part", None),
])
def test_hub_specs(spec, expected):
    assert hub_repo(spec) == expected


def test_offline_a_hub_dataset_not_in_the_cache_is_one_line_naming_what_is_missing():
    with pytest.raises(DataError) as err:
        get_task("wds:hf://clip-benchmark/wds_flickr30k")
    message = str(err.value)
    assert "\n" not in message and "clip-benchmark/wds_flickr30k is not in the cache" in message
    assert str(cache_folder(WEBDATASETS)) in message and "LONGBENCH_OFFLINE or HF_HUB_OFFLINE is set" in message
    assert "--include 'test/*'" in message


def test_offline_a_hub_dataset_in_the_cache_is_read_from_it(tmp_path):
    """The Hub cache's own layout (refs/main -> snapshots/<commit>/...), as a download leaves it."""
    commit = hashlib.sha1(b"x").hexdigest()
    repo = cache_folder(WEBDATASETS) / "datasets--clip-benchmark--wds_tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    retrieval_shards(repo / "snapshots" / commit)
    task = get_task("wds:https://huggingface.co/datasets/clip-benchmark/wds_tiny")
    assert task.meta.name == "wds_tiny" and task.meta.kind == "retrieval"
    assert len(task.load(task.root(None), LoadOptions()).images) == 7


# --- numbers ------------------------------------------------------------------------------------------------

def embeddings(ds, adapter) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Image embeddings one at a time from the shards' bytes, and text embeddings per distinct text."""
    images = np.stack([adapter.encode_image(adapter.preprocess(open_rgb(img))[None]).numpy()[0] for img in ds.images])
    texts = ds.texts if isinstance(ds, RetrievalDataset) else [t.replace("{c}", c) for c in ds.classnames
                                                                  for t in ds.prompts.templates]
    return images, {t: adapter.encode_text(adapter.tokenize([t])).numpy()[0] for t in dict.fromkeys(texts)}


def test_retrieval_numbers_equal_an_independent_computation(shards, tmp_path):
    [done] = run("tiny-clip", f"wds:{shards['retrieval']}", RunConfig(output=tmp_path, batch_size=3, progress=False))
    ds = load(shards["retrieval"])
    images, by_text = embeddings(ds, load_model("tiny-clip"))
    texts = np.stack([by_text[t] for t in ds.texts])
    expected = brute_force_ranks(images, texts, ds.text_to_image)
    for k in (1, 5, 10):
        expected[f"i2t_r{k}"], expected[f"t2i_r{k}"] = brute_force(images, texts, ds.text_to_image, k)
    assert done.result.metrics == pytest.approx(expected, abs=1e-9)
    assert done.result.task.n_images == 7 and done.result.task.n_texts == 11


class Lookup(torch.nn.Module):
    """A "model" whose towers return the embeddings the transform and tokenizer looked up (CLIP_benchmark
    normalises them itself)."""

    def encode_image(self, x):
        return x

    def encode_text(self, x):
        return x


#: CLIP_benchmark builds its WebDataset without `shardshuffle`, which webdataset 1.0 warns about (it does not shuffle).
clip_benchmark_warnings = pytest.mark.filterwarnings("ignore:WebDataset\\(shardshuffle=\\.\\.\\.\\) is None")


@clip_benchmark_warnings
def test_retrieval_numbers_equal_clip_benchmarks_on_the_same_shards(shards, tmp_path):
    builder = pytest.importorskip("clip_benchmark.datasets.builder")
    from clip_benchmark.metrics import zeroshot_retrieval

    [done] = run("tiny-clip", f"wds:{shards['retrieval']}", RunConfig(output=tmp_path, batch_size=3, progress=False))
    ds = load(shards["retrieval"])
    images, by_text = embeddings(ds, load_model("tiny-clip"))
    by_pixels = {open_rgb(img).tobytes(): row for row, img in enumerate(ds.images)}
    read = []

    def transform(pil):
        read.append(by_pixels[pil.tobytes()])  # CLIP_benchmark's own decode of each sample's image
        return torch.from_numpy(images[read[-1]])

    reference = builder.build_wds_dataset("tiny", transform, split="test", data_dir=str(shards["retrieval"]))
    theirs = [captions for _, captions in reference]
    assert read == list(range(7)) and [t for c in theirs for t in c] == ds.texts  # same samples, same captions
    read.clear()
    loader = torch.utils.data.DataLoader(reference.batched(3), batch_size=None, shuffle=False)
    metrics = zeroshot_retrieval.evaluate(Lookup(), loader, lambda texts: torch.from_numpy(
        np.stack([by_text[t] for t in texts])), "cpu", amp=False, recall_k_list=[1, 5])  # K <= 7 images: topk
    for k in (1, 5):  # CLIP_benchmark: image_retrieval = T2I, text_retrieval = I2T, fractions
        assert done.result.metrics[f"t2i_r{k}"] == pytest.approx(100 * metrics[f"image_retrieval_recall@{k}"])
        assert done.result.metrics[f"i2t_r{k}"] == pytest.approx(100 * metrics[f"text_retrieval_recall@{k}"])


@clip_benchmark_warnings
def test_classification_numbers_equal_clip_benchmarks_on_the_same_shards(shards, tmp_path):
    builder = pytest.importorskip("clip_benchmark.datasets.builder")
    from clip_benchmark.metrics import zeroshot_classification

    [done] = run("tiny-clip", f"wds:{shards['classification']}", RunConfig(output=tmp_path, batch_size=5,
                                                                          progress=False))
    ds = load(shards["classification"])
    images, by_text = embeddings(ds, load_model("tiny-clip"))
    by_pixels = {open_rgb(img).tobytes(): row for row, img in enumerate(ds.images)}
    reference = builder.build_wds_dataset("tiny", lambda pil: torch.from_numpy(images[by_pixels[pil.tobytes()]]),
                                          split="test", data_dir=str(shards["classification"]))
    assert reference.classes == ds.classnames and reference.templates == ds.prompts.templates
    loader = torch.utils.data.DataLoader(reference.batched(5), batch_size=None, shuffle=False)
    tokenizer = lambda texts: torch.from_numpy(np.stack([by_text[t] for t in texts]))  # noqa: E731
    classifier = zeroshot_classification.zero_shot_classifier(Lookup(), tokenizer, reference.classes,
                                                              reference.templates, "cpu", amp=False)
    logits, target = zeroshot_classification.run_classification(Lookup(), classifier, loader, "cpu", amp=False)
    # The rest of its `evaluate`, written out: its `accuracy` calls float() on a 1-element array, which NumPy 2
    # refuses (clip-benchmark 1.6.2); the same top-k count, and sklearn's balanced accuracy as it calls it.
    top = logits.topk(5, 1, True, True)[1].t()
    correct = top.eq(target.view(1, -1).expand_as(top))
    metrics = {"acc1": correct[:1].sum().item() / len(target), "acc5": correct[:5].sum().item() / len(target),
               "mean_per_class_recall": balanced_accuracy_score(target, logits.argmax(axis=1))}
    assert done.result.task.prompts == ds.prompts.name
    for name in ("acc1", "acc5", "mean_per_class_recall"):
        assert done.result.metrics[name] == pytest.approx(100 * metrics[name]), name
