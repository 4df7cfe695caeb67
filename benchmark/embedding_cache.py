"""The embedding cache: one file per encoded batch, keyed by everything that determines its numbers.

A batch's embeddings depend (in their last bits) on which items were encoded together, so the cache stores whole
batches, exactly as the encoder forms them, rather than single items: a cached run then gives bit-for-bit the
numbers of an uncached one, and a run that was interrupted resumes from its last written batch (each file is
written atomically as its batch completes; the missing batches form the same batches again).

Keys (sha256):
- images: the image tower's weights, the preprocessing (its description and the border crop), the dtype and device
  type, and per image its file's absolute path (a failure's reason names it) and a digest of its content
  (data/digest.py: a picture replaced by another of the same size and modification time is a new entry); a zip
  member or a crop (data/image_ref.py) adds its member and box to its file's key. Array images (CIFAR) are keyed
  by their bytes. `clip-B` and `stretched:clip-B` share the image tower, hence the image batches.
- texts: the text tower's weights (the effective positional table included), its text spec, the dtype and device
  type, and the batch exactly as the tower gets it (ids at the batch's width, trimmed or padded, and lengths): the
  ids stand for the tokenizer, its version, the context length, the truncation and the trim mode at once.
Both include the backend and architecture name from the provenance (build settings that are not weights, such as
QuickGELU, are named there), never the model's name, so differently named models with one tower share it.

Tower digests are computed once per model load (remembered per adapter until a weight is modified in place).
Files are named by their key, so processes writing disjoint batches of one cache never collide, and two writing
the same batch write the same bytes. A file that does not load, or whose key, shape, dtype or count is not what
was asked for, is treated as missing: recomputed and overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import weakref
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .artifacts.atomic import atomic_open
from .cache_home import EMBEDDINGS, cache_folder
from .data.digest import image_digests
from .data.image_ref import ImageRef
from .data.tar_member import TarMember
from .lazy import torch
from .memo import memo_key

#: Bump when what a batch's numbers depend on changes in a way the keys do not show, or when the batches formed
#: change (2: each distinct caption and image encoded once per call, encode.py; image files keyed on content).
CACHE_VERSION = 2
KINDS = ("image", "text")


@dataclass
class Batch:
    """One encoded batch: vectors of the items that encoded, their positions in the batch, and the failures."""

    vectors: np.ndarray  # float32 [n_kept, D]
    kept: np.ndarray  # int64 [n_kept], positions within the batch
    failures: list[tuple[int, str]]  # (position within the batch, reason) of items that could not be decoded


class EmbeddingCache:
    """Batches of embeddings under `<cache home>/embeddings/<kind>/<key[:2]>/<key>.npz` (cache_home.py; `root`
    replaces the cache home)."""

    def __init__(self, root: Path | None = None):
        self.folder = cache_folder(EMBEDDINGS, root)
        self.reset_counts()

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / f"{key}.npz"

    def get(self, kind: str, key: str, size: int, dim: int) -> Batch | None:
        """The batch stored under `key` if it is well-formed for `size` items of dimension `dim`, else None."""
        batch = self._read(self._path(kind, key), key, size, dim)
        counter = self.hits if batch is not None else self.misses
        counter[kind] += 1
        return batch

    def put(self, kind: str, key: str, batch: Batch) -> None:
        if not np.isfinite(batch.vectors).all():
            return  # never stored: the Encoder's finiteness check stops the run, and a re-run must fail the same way
        with atomic_open(self._path(kind, key), "wb") as fh:
            np.savez(fh, key=np.array(key), vectors=np.ascontiguousarray(batch.vectors, dtype=np.float32),
                     kept=np.asarray(batch.kept, dtype=np.int64),
                     failed=np.array([p for p, _ in batch.failures], dtype=np.int64),
                     reasons=np.array([r for _, r in batch.failures], dtype=str))

    @staticmethod
    def _read(path: Path, key: str, size: int, dim: int) -> Batch | None:
        try:
            with np.load(path, allow_pickle=False) as data:
                stored = {name: data[name] for name in ("key", "vectors", "kept", "failed", "reasons")}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None  # absent, truncated or not an npz of ours: recomputed
        vectors, kept, failed = stored["vectors"], stored["kept"], stored["failed"]
        well_formed = (str(stored["key"]) == key and vectors.dtype == np.float32 and vectors.ndim == 2
                       and vectors.shape == (len(kept), dim) and kept.dtype == np.int64 and failed.dtype == np.int64
                       and len(kept) + len(failed) == size and len(stored["reasons"]) == len(failed)
                       and np.array_equal(np.sort(np.concatenate([kept, failed])), np.arange(size))
                       and bool(np.isfinite(vectors).all()))
        if not well_formed:
            return None
        return Batch(vectors, kept, list(zip(failed.tolist(), stored["reasons"].tolist(), strict=True)))

    def reset_counts(self) -> None:
        self.hits = dict.fromkeys(KINDS, 0)
        self.misses = dict.fromkeys(KINDS, 0)

    def summary(self) -> str:
        return ", ".join(f"{kind} batches {self.hits[kind]} cached / {self.hits[kind] + self.misses[kind]}"
                         for kind in KINDS)


# --- keys ---------------------------------------------------------------------------------------------------

def image_settings_key(adapter: Any, precision: str, device_type: str, crop_border: int, decode: str = "pil") -> str:
    """`precision` (fp32, fp16, bf16) and `device_type` (cpu, cuda, mps) as settings.RunSettings names them;
    `decode` (pil, tensor, gpu) is part of the key: the decoders are not bit-identical to each other."""
    prov = adapter.provenance
    return memo_key("image", CACHE_VERSION, prov.backend, prov.architecture, tower_digest(adapter, "image"),
                    preprocess_description(adapter), crop_border, precision, device_type, decode)


def text_settings_key(adapter: Any, precision: str, device_type: str) -> str:
    prov = adapter.provenance
    return memo_key("text", CACHE_VERSION, prov.backend, prov.architecture, prov.text_spec,
                    tower_digest(adapter, "text"), precision, device_type)


def image_batch_key(settings: str, items: Sequence[bytes]) -> str:
    return memo_key(settings, *items)


def text_batch_key(settings: str, ids: np.ndarray, lengths: np.ndarray, pool: np.ndarray | None = None) -> str:
    """Keyed by the ids at the batch's width and the lengths (and pooled spans, where a model has them:
    TokenArrays), as int64 bytes."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    parts = [lengths] if pool is None else [lengths, pool]
    return memo_key(settings, list(ids.shape), ids.tobytes(),
                    *(np.ascontiguousarray(part, dtype=np.int64).tobytes() for part in parts))


def image_fingerprints(images: Any) -> list[bytes]:
    """Per image: its array bytes, or its file's absolute path (a tar member's: the archive's and the member's name)
    and content digest (see the module doc)."""
    if isinstance(images, np.ndarray):
        return [hashlib.sha256(np.ascontiguousarray(image).tobytes()).digest() for image in images]
    # A missing file's failure is cached with its batch, until the file appears (its digest then changes).
    return [_location(path).encode("utf-8", "surrogatepass") + b"\0" + digest
            for path, digest in zip(images, image_digests(images), strict=True)]


def _location(image: Any) -> str:
    return image.location() if isinstance(image, TarMember | ImageRef) else os.path.abspath(image)


def describe_preprocess(preprocess: Any) -> str:
    """The transform's description without memory addresses (plain functions print as `<function f at 0x..>`)."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(preprocess))


def preprocess_description(adapter: Any) -> str:
    """`describe_preprocess` of the adapter's preprocessing, or the description pinned to it (`pin_identity`)."""
    pinned = _memo(adapter).get("preprocess")
    return pinned[1] if pinned else describe_preprocess(adapter.preprocess)


# --- tower digests ------------------------------------------------------------------------------------------

#: Digests per live adapter, keyed by id(): adapters need not be hashable (a dataclass model is not), and the
#: entry goes when the adapter does.
_DIGESTS: dict[int, dict[str, tuple]] = {}
#: The stamp of a pinned entry: never recomputed from the adapter's tensors.
_PINNED = ("pinned",)
#: What keys a model's cache entries besides its provenance: `model_identity`'s fields.
IDENTITY = ("preprocess", "image", "text")


def model_identity(adapter: Any) -> dict[str, str]:
    """The preprocessing description and both tower digests: with the provenance, all a cache key needs of a model."""
    return {"preprocess": preprocess_description(adapter), "image": tower_digest(adapter, "image"),
            "text": tower_digest(adapter, "text")}


def pin_identity(adapter: Any, identity: dict[str, str]) -> None:
    """Key `adapter`'s entries by `identity` (a `model_identity` recorded earlier) without reading its tensors: a
    model whose weights are not loaded yet (deferred_model.py)."""
    memo = _memo(adapter)
    for field in IDENTITY:
        memo[field] = (_PINNED, identity[field])


def _memo(adapter: Any) -> dict[str, tuple]:
    key = id(adapter)
    if key not in _DIGESTS:
        _DIGESTS[key] = {}
        weakref.finalize(adapter, _DIGESTS.pop, key, None)
    return _DIGESTS[key]


def tower_digest(adapter: Any, tower: str) -> str:
    """sha256 of one tower's tensors (`adapter.tower_state`: names, dtypes, shapes, bytes), remembered per adapter.

    It is recomputed when any of those tensors was modified in place (a training step) or replaced; a pinned digest
    (`pin_identity`) is not.
    """
    memo = _memo(adapter)
    if memo.get(tower, (None,))[0] is _PINNED:
        return memo[tower][1]
    state = adapter.tower_state(tower)
    stamp = tuple((name, t.data_ptr(), t._version) for name, t in sorted(state.items()))
    if tower not in memo or memo[tower][0] != stamp:
        h = hashlib.sha256()
        for name, t in sorted(state.items()):
            flat = t.detach().contiguous().reshape(-1)
            h.update(f"{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
            if flat.numel():  # the bytes in place: no copy of the tower
                h.update(flat.view(torch.uint8).cpu().numpy())
        memo[tower] = (stamp, h.hexdigest())
    return memo[tower][1]


# --- info and clear -----------------------------------------------------------------------------------------

#: The cache's own files: `<kind>/<key[:2]>/<key>.npz`, and the temporary file of a write that was interrupted
#: (artifacts/atomic.py: `.<key>.npz.<random>.tmp`). Nothing else under the folder is longbench's.
_ENTRY = re.compile(r"(?P<key>[0-9a-f]{64})\.npz")
_TEMPORARY = re.compile(r"\.(?P<key>[0-9a-f]{64})\.npz\.[^/]+\.tmp")


@dataclass
class CacheInfo:
    root: Path
    files: dict[str, int]
    bytes: dict[str, int]


@dataclass
class Cleared(CacheInfo):
    #: (file, why) of each cache file that could not be deleted.
    failed: list[tuple[Path, str]]


def own_files(folder: Path, kind: str) -> list[Path]:
    """The cache's own files of one kind (entries and interrupted writes), never following a link: a symlinked
    shard folder, or a file whose name the cache never uses, is not the cache's."""
    found = []
    for shard in sorted(_entries(folder / kind)):
        if shard.is_symlink() or not shard.is_dir() or not re.fullmatch(r"[0-9a-f]{2}", shard.name):
            continue
        for path in sorted(_entries(shard)):
            match = _ENTRY.fullmatch(path.name) or _TEMPORARY.fullmatch(path.name)
            if match and match["key"][:2] == shard.name and not path.is_symlink() and path.is_file():
                found.append(path)
    return found


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return []


def cache_info(root: Path | None = None) -> CacheInfo:
    folder = cache_folder(EMBEDDINGS, root)
    files, sizes = {}, {}
    for kind in KINDS:
        found = own_files(folder, kind)
        files[kind] = len(found)
        sizes[kind] = sum(p.stat().st_size for p in found)
    return CacheInfo(folder, files, sizes)


def clear_cache(root: Path | None = None) -> Cleared:
    """Delete the cache's own files (`own_files`) and the folders they leave empty; returns what was really deleted,
    and what could not be (a read-only or immutable folder). Files longbench never wrote are left alone."""
    folder = cache_folder(EMBEDDINGS, root)
    files, sizes = dict.fromkeys(KINDS, 0), dict.fromkeys(KINDS, 0)
    failed: list[tuple[Path, str]] = []
    for kind in KINDS:
        for path in own_files(folder, kind):
            try:
                size = path.stat().st_size
                path.unlink()
            except OSError as exc:
                failed.append((path, exc.strerror or str(exc)))
                continue
            files[kind] += 1
            sizes[kind] += size
        for shard in _entries(folder / kind):
            _remove_if_empty(shard)
        _remove_if_empty(folder / kind)
    _remove_if_empty(folder)
    return Cleared(folder, files, sizes, failed)


def _remove_if_empty(folder: Path) -> None:
    if folder.is_symlink() or not folder.is_dir():
        return
    with contextlib.suppress(OSError):  # not empty (someone else's files), or not ours to remove: kept
        folder.rmdir()
