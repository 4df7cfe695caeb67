"""The embedding cache: hits skip the encoder, every key part misses when it changes, damaged files are recomputed,
interrupted runs resume, image batches are shared across models with one image tower, numbers never change."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from longbench.adapters import ClipAdapter, load_model
from longbench.adapters.backends.open_clip.adapter import ClipAdapter as AdapterClass
from longbench.adapters.backends.open_clip.build import adapter_from_state_dict
from longbench.adapters.families.tiny import tiny_state_dict
from longbench.cli import app
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.embedding_cache import EmbeddingCache, cache_info, tower_digest
from longbench.encode import Encoder
from longbench.errors import DataError
from longbench.probe import probe
from longbench.runner import RunConfig, run
from longbench.settings import RunSettings
from longbench.tasks import get_task

CAPTIONS = ["a cat", "word " * 60, "", "a dog on a mat", "x " * 300, "two birds", "a red car", "trees"]


class Calls:
    """Counts the items each tower encodes (a spy on the adapter class's encode methods)."""

    def __init__(self, monkeypatch):
        self.images = self.texts = 0
        image, text = AdapterClass.encode_image, AdapterClass.encode_text

        def encode_image(adapter, pixels):
            self.images += len(pixels)
            return image(adapter, pixels)

        def encode_text(adapter, ids):
            self.texts += len(ids)
            return text(adapter, ids)

        monkeypatch.setattr(AdapterClass, "encode_image", encode_image)
        monkeypatch.setattr(AdapterClass, "encode_text", encode_text)


@pytest.fixture()
def calls(monkeypatch) -> Calls:
    return Calls(monkeypatch)


@pytest.fixture(scope="module")
def tiny() -> ClipAdapter:
    return load_model("tiny-clip")


@pytest.fixture()
def images(tmp_path) -> list[Path]:
    return [write_image(tmp_path / "img" / f"{i}.jpg", i) for i in range(5)]


def encoder(adapter: ClipAdapter, cache_root: Path | None, **settings) -> Encoder:
    cache = EmbeddingCache(cache_root) if cache_root is not None else None
    return Encoder(adapter, RunSettings.resolve("cpu", batch_size=2, **settings), progress=False, cache=cache)


def test_a_warm_encoder_calls_no_tower_and_gives_the_same_bits(tiny, images, tmp_path, calls):
    plain_img = encoder(tiny, None).images(images)
    plain_txt = encoder(tiny, None).texts(CAPTIONS)
    cold_img = encoder(tiny, tmp_path / "c").images(images)
    cold_txt = encoder(tiny, tmp_path / "c").texts(CAPTIONS)
    before = (calls.images, calls.texts)
    warm = encoder(tiny, tmp_path / "c")
    warm_img, warm_txt = warm.images(images), warm.texts(CAPTIONS)
    assert (calls.images, calls.texts) == before  # nothing encoded
    assert warm.cache.hits == {"image": 3, "text": 4} and warm.cache.misses == {"image": 0, "text": 0}
    for a, b, c in ((plain_img.vectors, cold_img.vectors, warm_img.vectors),
                    (plain_txt.vectors, cold_txt.vectors, warm_txt.vectors)):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert np.array_equal(warm_img.kept, plain_img.kept)
    assert np.array_equal(warm_txt.token_lengths, plain_txt.token_lengths)
    assert np.array_equal(warm_txt.truncated, plain_txt.truncated)
    assert cache_info(tmp_path / "c").files == {"image": 3, "text": 4}


def test_each_key_part_misses_when_it_changes(tiny, images, tmp_path, calls):
    root = tmp_path / "c"
    encoder(tiny, root).images(images)
    encoder(tiny, root).texts(CAPTIONS)

    other = adapter_from_state_dict(tiny_state_dict(seed=1), name="other", source="test")  # another checkpoint
    e = encoder(other, root)
    e.images(images)
    e.texts(CAPTIONS)
    assert e.cache.hits == {"image": 0, "text": 0}

    e = encoder(tiny, root)  # another context length: it cuts the batch of the two long captions, not the others
    e.texts(CAPTIONS, context_length=20)
    assert e.cache.misses["text"] == 1 and e.cache.hits["text"] == 3

    e = encoder(tiny, root)  # another border crop (preprocessing)
    e.images(images, crop_border=1)
    assert e.cache.hits["image"] == 0

    changed = adapter_from_state_dict(tiny_state_dict(seed=0), name="tiny-clip", source="test")  # another resize
    from torchvision import transforms
    changed.preprocess = transforms.Compose([transforms.Resize(40), *tiny.preprocess.transforms[1:]])
    e = encoder(changed, root)
    e.images(images)
    assert e.cache.hits["image"] == 0

    e = encoder(tiny, root, precision="bf16")  # another dtype
    e.texts(CAPTIONS)
    assert e.cache.hits["text"] == 0

    e = encoder(tiny, root, decode="tensor")  # another decoder: not bit-identical to PIL
    e.images(images)
    assert e.cache.hits["image"] == 0

    write_image(images[3], 9)  # new content: size and modification time change
    os.utime(images[3], ns=(1, 1))
    e = encoder(tiny, root)
    e.images(images)
    assert e.cache.hits["image"] == 2 and e.cache.misses["image"] == 1  # only the batch holding image 3


def same_size_other_picture(path: Path, value: int) -> None:
    """Replace `path` by another picture of exactly its size, keeping its modification time (`cp -p`)."""
    from PIL import Image

    times = (path.stat().st_atime_ns, path.stat().st_mtime_ns) if path.exists() else (1, 1)
    Image.new("RGB", (40, 30), (value, 255 - value, 90)).save(path, format="BMP")  # 40x30 BMP: a fixed size
    os.utime(path, ns=times)


def test_a_picture_replaced_with_size_and_time_kept_is_not_served_stale(tiny, tmp_path, calls):
    path = tmp_path / "img" / "a.jpg"
    path.parent.mkdir()
    same_size_other_picture(path, 10)
    first = encoder(tiny, tmp_path / "c").images([path]).vectors
    size, mtime = path.stat().st_size, path.stat().st_mtime_ns
    same_size_other_picture(path, 200)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (size, mtime)
    e = encoder(tiny, tmp_path / "c")
    second = e.images([path]).vectors
    assert e.cache.misses["image"] == 1
    assert not np.array_equal(first, second)
    assert np.array_equal(second, encoder(tiny, None).images([path]).vectors)


def test_the_fingerprint_sees_image_content(tmp_path):
    task = get_task("urban1k")
    task.write_sample(tmp_path / "Urban1k", 3)
    image = tmp_path / "Urban1k" / "image" / "2.jpg"
    same_size_other_picture(image, 10)
    before = task.load(tmp_path / "Urban1k", LoadOptions()).fingerprint
    same_size_other_picture(image, 200)
    assert task.load(tmp_path / "Urban1k", LoadOptions()).fingerprint != before


def test_a_status_reads_no_image(tmp_path, monkeypatch):
    """The fingerprint is computed on first use: listing a task's status hashes nothing."""
    task = get_task("urban1k")
    task.write_sample(tmp_path / "Urban1k", 3)
    monkeypatch.setattr("longbench.data.digest.file_digest", lambda path: pytest.fail(f"{path} was read"))
    assert task.status(tmp_path / "Urban1k").state == "incomplete"  # 3 of 1,000 images


def test_a_damaged_file_is_recomputed(tiny, images, tmp_path, calls):
    root = tmp_path / "c"
    expected = encoder(tiny, root).images(images).vectors
    files = sorted((root / "embeddings" / "image").glob("*/*.npz"))
    files[0].write_bytes(files[0].read_bytes()[:50])  # truncated
    files[1].write_bytes(b"not an npz")
    key = files[2].stem
    np.savez(files[2], key=np.array(key), vectors=np.zeros((2, 3), np.float32), kept=np.arange(2),
             failed=np.zeros(0, np.int64), reasons=np.zeros(0, str))  # wrong dimension
    calls.images = 0
    e = encoder(tiny, root)
    assert np.array_equal(e.images(images).vectors, expected)
    assert calls.images == 5 and e.cache.misses["image"] == 3
    e = encoder(tiny, root)
    e.images(images)
    assert e.cache.hits["image"] == 3  # rewritten whole


def test_bad_images_are_cached_with_their_batch_and_still_refused_without_skipping(tiny, images, tmp_path):
    bad = images[0].parent / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    files = [images[0], bad, *images[1:]]
    first = encoder(tiny, tmp_path / "c").images(files, skip_bad=True)
    again = encoder(tiny, tmp_path / "c")
    second = again.images(files, skip_bad=True)
    assert again.cache.misses["image"] == 0
    assert second.skipped == first.skipped and len(first.skipped) == 1 and "bad.jpg" in first.skipped[0]
    assert second.kept.tolist() == first.kept.tolist() == [0, 2, 3, 4, 5]
    with pytest.raises(DataError, match=r"cannot decode image .*bad.jpg"):
        encoder(tiny, tmp_path / "c").images(files)


def test_the_digest_follows_in_place_weight_changes(tmp_path):
    adapter = load_model("tiny-clip")
    image, text = tower_digest(adapter, "image"), tower_digest(adapter, "text")
    with torch.no_grad():
        adapter.model.positional_embedding[5] += 1.0
    assert tower_digest(adapter, "text") != text and tower_digest(adapter, "image") == image


# --- through run and probe ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    get_task("urban1k").write_sample(root / "Urban1k", 6)
    return root


def config(root: Path, tmp_path: Path, **kw) -> RunConfig:
    return RunConfig(data_root=root, output=tmp_path / "results", device="cpu", progress=False, batch_size=2,
                     cache_dir=tmp_path / "cache", **kw)


def test_a_warm_run_encodes_nothing_and_gives_the_same_result(data_root, tmp_path, calls):
    plain = run("tiny-clip", "urban1k", config(data_root, tmp_path / "plain", cache=False))[0].result
    assert not (tmp_path / "plain" / "cache").exists()
    assert plain.environment["embedding_cache"] == "off"
    cold = run("tiny-clip", "urban1k", config(data_root, tmp_path))[0].result
    before = (calls.images, calls.texts)
    warm = run("tiny-clip", "urban1k", config(data_root, tmp_path))[0].result
    assert (calls.images, calls.texts) == before
    assert warm.metrics == cold.metrics == plain.metrics
    assert warm.by_length == plain.by_length and warm.truncation == plain.truncation
    assert warm.environment["embedding_cache"] == "image batches 3 cached / 3, text batches 3 cached / 3"


def test_an_interrupted_run_resumes_with_the_same_metrics(data_root, tmp_path, calls, monkeypatch):
    expected = run("tiny-clip", "urban1k", config(data_root, tmp_path / "plain", cache=False))[0].result.metrics
    spied = AdapterClass.encode_image
    seen = []

    def interrupted(adapter, pixels):
        seen.append(len(pixels))
        if len(seen) == 2:
            raise KeyboardInterrupt
        return spied(adapter, pixels)

    monkeypatch.setattr(AdapterClass, "encode_image", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run("tiny-clip", "urban1k", config(data_root, tmp_path))
    monkeypatch.setattr(AdapterClass, "encode_image", spied)
    calls.images = 0
    resumed = run("tiny-clip", "urban1k", config(data_root, tmp_path))[0].result
    assert calls.images == 4  # the first batch (2 images) was kept
    assert resumed.metrics == expected


def test_clip_and_its_stretched_variant_share_image_batches_and_the_probe_reuses_them(data_root, tmp_path, calls):
    run("tiny-clip", "urban1k", config(data_root, tmp_path))
    calls.images = calls.texts = 0
    stretched = run("stretched:tiny-clip", "urban1k", config(data_root, tmp_path))[0].result
    assert calls.images == 0 and calls.texts > 0  # another text tower (248 positions), the same image tower
    assert stretched.environment["embedding_cache"].startswith("image batches 3 cached / 3")
    result = probe("tiny-clip", "urban1k", config(data_root, tmp_path), lengths=[5, 10])
    assert calls.images == 0
    assert result.environment["embedding_cache"].startswith("image batches 3 cached / 3")


def test_cache_cli_info_clear_and_no_cache(data_root, tmp_path):
    runner = CliRunner()
    cache = tmp_path / "cache"
    args = ["run", "-m", "tiny-clip", "-t", "urban1k", "-d", str(data_root), "-o", str(tmp_path / "r"), "-q",
            "--device", "cpu", "--batch-size", "2", "--cache-dir", str(cache)]
    assert runner.invoke(app, [*args, "--no-cache"]).exit_code == 0
    assert not cache.exists()
    assert runner.invoke(app, args).exit_code == 0
    out = runner.invoke(app, ["cache", "info", "--cache-dir", str(cache)], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "image 3 batches" in out.output and "text 3 batches" in out.output
    out = runner.invoke(app, ["cache", "clear", "--cache-dir", str(cache)], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "deleted" in out.output
    assert cache_info(cache).files == {"image": 0, "text": 0}


def test_the_default_root_follows_longbench_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("LONGBENCH_CACHE", str(tmp_path))
    assert EmbeddingCache().folder == tmp_path / "embeddings"


def test_non_finite_batches_are_never_stored(tmp_path):
    from longbench.embedding_cache import Batch

    cache = EmbeddingCache(tmp_path / "c")
    vectors = np.ones((2, 4), np.float32)
    vectors[1, 2] = np.nan
    cache.put("image", "k" * 64, Batch(vectors, np.arange(2), []))
    assert not list((tmp_path / "c").rglob("*.npz"))
    cache.put("image", "k" * 64, Batch(np.ones((2, 4), np.float32), np.arange(2), []))
    assert cache.get("image", "k" * 64, 2, 4) is not None


def test_a_text_key_holds_the_pooled_spans_where_a_model_has_them():
    """LLM2Vec-style batches pool a span per caption: another span is another embedding; without spans the key is
    the one caches written before spans existed hold."""
    from longbench.embedding_cache import text_batch_key

    ids, lengths = torch.tensor([[5, 6, 7]]), torch.tensor([3])
    plain = text_batch_key("s", ids, lengths)
    assert text_batch_key("s", ids, lengths, None) == plain
    assert text_batch_key("s", ids, lengths, torch.tensor([2])) != plain
    assert text_batch_key("s", ids, lengths, torch.tensor([2])) != text_batch_key("s", ids, lengths, torch.tensor([1]))


def fill_cache(cache: Path) -> tuple[list[Path], list[Path]]:
    """A cache of two image and one text entry (and an interrupted write), beside files longbench never wrote;
    returns (the cache's files, the others)."""
    key, emb = "ab" + "0" * 62, cache / "embeddings"
    own = [emb / "image" / "ab" / f"{key}.npz", emb / "image" / "cd" / f"cd{key[2:]}.npz",
           emb / "text" / "ab" / f"{key}.npz", emb / "image" / "ab" / f".{key}.npz.x1y2.tmp"]
    others = [emb / "notes.txt", emb / "mine" / "v.npy", emb / "image" / "ab" / "notes.npz",
              emb / "image" / "ab" / f"cd{key[2:]}.npz", emb / "image" / "mine" / f"{key}.npz",
              cache / "classifiers" / "c.npy"]
    for path in (*own, *others):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    return own, others


def test_cache_clear_deletes_only_the_caches_own_files_and_reports_what_it_deleted(tmp_path):
    cache = tmp_path / "cache"
    own, others = fill_cache(cache)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / f"{'ef' * 32}.npz").write_bytes(b"x")
    (cache / "embeddings" / "text" / "ef").symlink_to(elsewhere)  # a linked shard is not the cache's
    assert cache_info(cache).files == {"image": 3, "text": 1}
    out = CliRunner().invoke(app, ["cache", "clear", "--cache-dir", str(cache)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "image 3 batches (0.0 MB), text 1 batches" in out.output
    assert not any(p.exists() for p in own)
    assert all(p.exists() for p in others) and (elsewhere / f"{'ef' * 32}.npz").exists()
    assert not (cache / "embeddings" / "image" / "cd").exists()  # emptied shard folders go


def test_cache_clear_fails_in_one_line_naming_what_it_could_not_delete(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    own, _ = fill_cache(cache)
    unlink = Path.unlink

    def refuse(path, missing_ok=False):
        if path.parent.name == "cd":
            raise PermissionError(1, "Operation not permitted")
        return unlink(path, missing_ok)
    monkeypatch.setattr(Path, "unlink", refuse)
    out = CliRunner().invoke(app, ["cache", "clear", "--cache-dir", str(cache)], env={"COLUMNS": "200"})
    assert out.exit_code == 2
    assert "image 2 batches" in out.output  # what was deleted, not what was there
    assert re.search(r"1 cache file\(s\) could not be deleted \(first: .*/cd/cd0+\.npz: Operation not permitted\)",
                     out.output)
    assert "Traceback" not in out.output and own[1].exists()
