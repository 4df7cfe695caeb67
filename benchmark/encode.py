"""Batching captions and images through an adapter: length-aware text batches, DataLoader image batches, AMP.

Equal inputs, equal embeddings: each call encodes every distinct input once and maps the rows back, so two equal
captions (two rows whose token ids are equal: repeated captions, captions equal once cut to the context, or once
the tokenizer normalised them) or two rows naming one image file (or equal image arrays) get bit-identical
embeddings. Encoded in different batches they would differ in their last bits, and the exact tie rule of the
metrics (metrics/retrieval.py) would not apply: a metric would change with --batch-size or --no-trim. The distinct
inputs keep the order of their first row, so batches form deterministically (the embedding cache relies on it).

Text: distinct captions are sorted by token length and batched. Where the model's `TextSpec` says trimming is
exact (causal attention pooled at the end token, or masked padding), each batch is cut after its own longest
caption: most of a 248-token context is padding for typical captions. Elsewhere (SigLIP, MobileCLIP-S:
bidirectional towers that attend padding) every batch is padded to the length the model was trained with.
`trim=False` pads everywhere.

Under torchrun each rank encodes its share of these batches and the shares are gathered back in order
(distributed.py); with one process the group is rank 0 of 1.

Images: `start_images` starts the decoding workers at once, so a caller can encode captions while they decode
(`ImageStream.collect` then consumes the batches). On CUDA, batches come in pinned memory and are copied without
blocking, and embeddings stay on the device until the end: no per-batch synchronisation.

Cache (embedding_cache.py): text and image batches, keyed by the batch exactly as the tower gets it, are read from
the cache when present (a cached image batch is not decoded at all) and written when encoded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .adapters.core.protocol import ImageTextModel, TokenArrays
from .data.decode_modes import check_decode
from .data.image_ref import ImageRef
from .data.loader import PREFETCH, resolve_workers
from .data.tar_member import TarMember
from .datasets import Images
from .deferred_model import DeferredModel
from .distributed import Group
from .embedding_cache import (
    Batch,
    EmbeddingCache,
    image_batch_key,
    image_fingerprints,
    image_settings_key,
    text_batch_key,
    text_settings_key,
)
from .errors import DataError
from .finite import excerpt, require_finite
from .lazy import torch
from .progress import track
from .settings import RunSettings

if TYPE_CHECKING:
    import torch as torch_types

    from .data.decoders import Decoder

T = TypeVar("T")


@dataclass
class TextEmbeddings:
    vectors: np.ndarray  # float32 [N, D], L2-normalised
    token_lengths: np.ndarray  # int [N], tokens before truncation incl. SOT and EOT
    truncated: np.ndarray  # bool [N]
    context_length: int = 0

    @property
    def tokens_lost(self) -> np.ndarray:
        return np.maximum(self.token_lengths - self.context_length, 0)

    def select(self, keep: np.ndarray) -> TextEmbeddings:
        """The rows where `keep` (bool [N]) is set; each row depends on its own caption only."""
        return TextEmbeddings(self.vectors[keep], self.token_lengths[keep], self.truncated[keep], self.context_length)


@dataclass
class ImageEmbeddings:
    vectors: np.ndarray  # float32 [M, D] for the images that decoded, in input order
    kept: np.ndarray  # int [M], index into the input of each row
    skipped: list[str] = field(default_factory=list)  # "<id>: <reason>" of each image that failed


class Encoder:
    """Embeds captions and images with one adapter, under run settings resolved once (settings.py).

    `decoder` replaces the one `settings.decode` names (tests decode on the GPU path's code without a GPU).
    `used_settings` says what was used, and `stage_times` accumulates the seconds spent tokenizing and waiting for
    (or, on the GPU, doing) image decoding; the caller resets it.
    """

    def __init__(self, adapter: ImageTextModel, settings: RunSettings, *, progress: bool = True,
                 skip_bad_images: bool = False, trim: bool = True, group: Group | None = None,
                 cache: EmbeddingCache | None = None, decoder: Decoder | None = None,
                 skip_hint: str = "; pass --skip-bad-images to skip it"):
        self.group = group or Group()
        self.settings = settings
        self.batch_size = settings.batch_size
        # A model whose weights are not loaded yet gets its decoder (its preprocessing) on the first image that is
        # not cached: a run that finds every batch cached never loads it, nor imports torch.
        deferred = decoder is None and isinstance(adapter, DeferredModel) and not adapter.loaded
        if deferred:
            check_decode(settings.decode, settings.device_type)  # a mode this device cannot run fails now all the same
        self._decoder = decoder or (None if deferred else _make_decoder(settings.decode, adapter.preprocess,
                                                                          self.device))
        self.adapter = adapter.to(settings.device_name)
        self.workers_used: int | None = None
        self.progress = progress and self.group.main
        self.skip_bad_images = skip_bad_images
        #: Cut text batches after their longest caption where the model's text spec makes that exact.
        self.trim = trim
        #: Batches already encoded (embedding_cache.py) are read from here, new ones written; None: no cache.
        self.cache = cache
        #: Appended to a decoding error: how the caller's command skips a bad image ("" where it cannot).
        self.skip_hint = skip_hint
        self.stage_times: dict[str, float] = {}

    @property
    def device(self) -> torch_types.device:
        return self.settings.device

    @property
    def dtype(self) -> torch_types.dtype:
        return self.settings.dtype

    @property
    def precision(self) -> str:
        """fp32, fp16 or bf16: what keys the cached embeddings and classifiers (no torch needed)."""
        return self.settings.precision

    @property
    def decoder(self) -> Decoder:
        if self._decoder is None:
            self._decoder = _make_decoder(self.settings.decode, self.adapter.preprocess, self.device)
        return self._decoder

    @property
    def decode_name(self) -> str:
        """The decoding mode (`--decode`), known before the decoder is made."""
        return self._decoder.name if self._decoder is not None else self.settings.decode

    @property
    def used_settings(self) -> dict[str, int | str | None]:
        """What the run used: batch size, image decoding, and the worker count of the last image pass (None before
        one)."""
        return {"batch_size": self.batch_size, "workers": self.workers_used, "decode": self.decode_name}

    def _autocast(self):
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def _add_time(self, stage: str, seconds: float) -> None:
        self.stage_times[stage] = self.stage_times.get(stage, 0.0) + seconds

    def texts(self, texts: Sequence[str], context_length: int | None = None, desc: str = "texts") -> TextEmbeddings:
        """Embeddings of `texts`, tokenized at the model's context (or a shorter `context_length`); each distinct
        input is encoded once (module doc)."""
        start = time.perf_counter()
        strings, string_of_row = distinct(texts, lambda text: text)
        tokens = self._token_arrays(strings, context_length)
        inputs, input_of_string = distinct_token_rows(tokens)
        self._add_time("tokenize", time.perf_counter() - start)
        row_input = input_of_string[string_of_row]
        out = self._encode_tokens(tokens.select(inputs), desc)[row_input]
        # On the gathered rows, so every rank (and any later cache) sees the same verdict.
        require_finite(out, self.adapter.name, "text tower", lambda row: f"caption {row} {excerpt(texts[row])}")
        return TextEmbeddings(out, tokens.raw_lengths[string_of_row], tokens.truncated[string_of_row],
                              context_length or self.adapter.context_length)

    def _token_arrays(self, texts: Sequence[str], context_length: int | None) -> TokenArrays:
        # A deferred model tokenizes CLIP BPE without loading anything (deferred_model.py), torch included.
        if isinstance(self.adapter, DeferredModel):
            return self.adapter.token_arrays(texts, context_length)
        return self.adapter.tokenize(texts, context_length).arrays()

    def _encode_tokens(self, tokens: TokenArrays, desc: str) -> np.ndarray:
        """float32 [N, D] embeddings of every row of `tokens`, in length-sorted batches shared out over the ranks."""
        # Longest first: the first batch shows the peak memory at once, and each batch is cut at its own length.
        # Stable: equal lengths keep their order (the batches, hence the cache keys, are the same every run).
        order = np.argsort(-tokens.lengths, kind="stable")
        chunks = [order[start:start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        share = self.group.share(len(chunks))
        mine = chunks[share.start:share.stop]
        settings = text_settings_key(self.adapter, self.precision, self.settings.device_type) if self.cache else ""

        def encode() -> tuple[np.ndarray, np.ndarray]:
            rows = [self._text_rows(self.text_batch(tokens.select(chunk)), settings)
                    for chunk in track(mine, sum(map(len, mine)), f"encode {desc}", self.progress, unit_size=len)]
            return np.concatenate([order[:0], *mine]), _to_numpy(rows, self.adapter.embed_dim)

        out = np.zeros((len(tokens), self.adapter.embed_dim), dtype=np.float32)
        for index, vectors in self.group.gather(encode):
            out[index] = vectors
        return out

    @property
    def trims(self) -> bool:
        """Whether text batches are cut after their longest caption (asked for, and exact for this model)."""
        return self.trim and self.adapter.text_spec.trim_exact

    def text_batch(self, batch: TokenArrays) -> TokenArrays:
        """The batch as the text tower gets it: trimmed where exact, else padded to the model's fixed length."""
        if self.trims:
            return batch.trimmed()
        return batch.padded(self.adapter.text_spec.fixed_length or self.adapter.context_length)

    def _text_rows(self, batch: TokenArrays, settings: str) -> torch_types.Tensor | np.ndarray:
        """One batch's embeddings: from the tower (a tensor left on the device without a cache) or from/into the
        cache (host arrays)."""
        if self.cache is None:
            with self._autocast():
                return self.adapter.encode_text(batch.batch())
        # Keyed by the batch exactly as the tower gets it (ids at its width, and lengths for masked towers).
        key = text_batch_key(settings, batch.ids, batch.lengths, batch.pool_lengths)
        hit = self.cache.get("text", key, len(batch), self.adapter.embed_dim)
        if hit is not None:
            return hit.vectors
        with self._autocast():
            vectors = self.adapter.encode_text(batch.batch()).cpu().numpy()
        self.cache.put("text", key, Batch(vectors, np.arange(len(batch)), []))
        return vectors

    def images(self, images: Images, ids: Sequence[str] | None = None, skip_bad: bool | None = None,
               crop_border: int = 0, desc: str = "images") -> ImageEmbeddings:
        """Embeddings of the images that decode; a bad one raises DataError naming it unless skipping."""
        return self.start_images(images, ids, skip_bad, crop_border, desc).collect()

    def start_images(self, images: Images, ids: Sequence[str] | None = None, skip_bad: bool | None = None,
                     crop_border: int = 0, desc: str = "images") -> ImageStream:
        """Start decoding `images` (workers begin at once); `collect()` on the result encodes them.

        Each distinct image is decoded and encoded once (module doc). The batches are the ones one process forms
        (this rank's share of them): cached ones are read, only the others decoded, so the embeddings are the same
        whatever the cache held and however many ranks.
        """
        ids = list(ids) if ids is not None else [str(p) for p in range(len(images))]
        first, image_of_row = distinct(range(len(images)), lambda row: image_identity(images, row))
        unique = images[first] if isinstance(images, np.ndarray) else [images[row] for row in first]
        plan = [list(range(s, min(s + self.batch_size, len(unique)))) for s in range(0, len(unique), self.batch_size)]
        share = self.group.share(len(plan))
        plan = plan[share.start:share.stop]
        cached, keys = self._cached_image_batches(unique, plan, crop_border)
        missing = [chunk for chunk, hit in zip(plan, cached, strict=True) if hit is None]
        workers = resolve_workers(self.settings.workers, sum(map(len, missing)), self.batch_size,
                                  self.settings.device_type)
        self.workers_used = workers
        batches = iter(torch.utils.data.DataLoader(
            self.decoder.dataset(unique, crop_border), batch_sampler=missing, num_workers=workers,
            collate_fn=self.decoder.collate, pin_memory=self.settings.device_type == "cuda",
            prefetch_factor=PREFETCH if workers else None) if missing else ())
        return ImageStream(self, Rows(images, ids, unique, image_of_row),
                           self.skip_bad_images if skip_bad is None else skip_bad, desc, plan, cached, keys, batches)

    def _cached_image_batches(self, images: Images, plan: list[list[int]],
                              crop_border: int) -> tuple[list[Batch | None], list[str | None]]:
        if self.cache is None:
            return [None] * len(plan), [None] * len(plan)
        settings = image_settings_key(self.adapter, self.precision, self.settings.device_type, crop_border,
                                      self.decode_name)
        items = image_fingerprints(images)
        keys = [image_batch_key(settings, [items[i] for i in chunk]) for chunk in plan]
        dim = self.adapter.embed_dim
        return [self.cache.get("image", key, len(chunk), dim) for key, chunk in zip(keys, plan, strict=True)], keys


@dataclass
class Rows:
    """The images a caller asked for, and the distinct ones among them that are encoded."""

    images: Images
    ids: list[str]
    unique: Images
    #: int [len(images)]: the index into `unique` of each row's image.
    image_of_row: np.ndarray

    def name(self, row: int) -> str:
        return _image_name(self.images, row, self.ids)


class ImageStream:
    """Image batches being decoded; `collect` encodes them in order (see the module doc)."""

    def __init__(self, encoder: Encoder, rows: Rows, skip: bool, desc: str,
                 plan: list[list[int]], cached: list[Batch | None], keys: list[str | None], batches):
        self.encoder, self.rows, self.skip, self.desc = encoder, rows, skip, desc
        self.plan, self.cached, self.keys, self.batches = plan, cached, keys, batches

    def collect(self) -> ImageEmbeddings:
        enc, rows = self.encoder, self.rows

        def encode() -> tuple[list[np.ndarray], list[np.ndarray], list[tuple[int, str]]]:
            vectors, kept, failed = [], [], []
            for b, chunk in track(list(enumerate(self.plan)), sum(map(len, self.plan)), f"encode {self.desc}",
                                  enc.progress, unit_size=lambda item: len(item[1])):
                found, kept_here, failures = self._batch(b, chunk[0])
                for position, reason in failures:
                    if not self.skip:
                        row = int(np.argmax(rows.image_of_row == chunk[position]))
                        raise DataError(f"cannot decode image {rows.name(row)} ({reason}){enc.skip_hint}")
                    failed.append((chunk[position], reason))
                vectors.append(found)
                kept.append(kept_here + chunk[0])
            # Device tensors until here (without a cache): one transfer at the end, no per-batch synchronisation.
            return [_to_numpy(vectors, enc.adapter.embed_dim)], kept, failed

        vectors, kept, failed = ([item for part in parts for item in part]
                                 for parts in zip(*enc.group.gather(encode), strict=True))
        result = self._rows(np.concatenate(vectors) if vectors else np.zeros((0, enc.adapter.embed_dim), np.float32),
                            np.concatenate(kept) if kept else np.zeros(0, np.int64), dict(failed))
        if result.skipped and not len(result.kept):  # batches of failures still add (empty) rows: count the images
            raise DataError(f"{self.desc}: no images left to evaluate: all {len(result.skipped)} failed to decode "
                            f"(first: {result.skipped[0]})")
        require_finite(result.vectors, enc.adapter.name, "image tower",
                       lambda row: f"image {rows.name(int(result.kept[row]))}")
        return result

    def _rows(self, vectors: np.ndarray, kept: np.ndarray, failed: dict[int, str]) -> ImageEmbeddings:
        """The distinct images' embeddings mapped back to the caller's rows (each row gets its image's)."""
        position = np.full(len(self.rows.unique), -1, dtype=np.int64)
        position[kept] = np.arange(len(kept))
        of_row = position[self.rows.image_of_row]
        rows = np.flatnonzero(of_row >= 0)
        skipped = [f"{self.rows.name(int(row))}: {failed[int(self.rows.image_of_row[row])]}"
                   for row in np.flatnonzero(of_row < 0)]
        return ImageEmbeddings(vectors[of_row[rows]], rows.astype(np.int64), skipped)

    def _batch(self, b: int, start: int) -> tuple[torch_types.Tensor | np.ndarray, np.ndarray, list[tuple[int, str]]]:
        """Batch b's (embeddings, kept positions, failures) relative to its first image `start`: from the cache, or
        decoded, encoded and written to the cache (unless a failure stops the run)."""
        hit = self.cached[b]
        if hit is not None:
            return hit.vectors, hit.kept, hit.failures
        enc = self.encoder
        begin = time.perf_counter()
        idx, pixels, failed = enc.decoder.to_device(*next(self.batches))
        enc._add_time("decode", time.perf_counter() - begin)
        failures = [(f.index - start, f.reason) for f in failed]
        kept = idx.numpy().astype(np.int64) - start
        none = np.zeros((0, enc.adapter.embed_dim), np.float32)
        if failures and not self.skip:  # the caller raises, naming the first bad image; nothing is cached
            return none, np.zeros(0, np.int64), failures
        if pixels is None:  # every image of the batch failed (and is skipped)
            rows = none
        else:
            with enc._autocast():
                rows = enc.adapter.encode_image(pixels)
        if enc.cache is not None and self.keys[b] is not None:
            rows = rows if isinstance(rows, np.ndarray) else rows.cpu().numpy()
            enc.cache.put("image", self.keys[b], Batch(rows, kept, failures))
        return rows, kept, failures


def _make_decoder(name: str, preprocess, device: torch_types.device) -> Decoder:
    # data/decoders.py imports torchvision: imported when an image is to be decoded, not by a run that finds every
    # image cached (data/decode_modes.py checked the mode already).
    from .data.decoders import make_decoder

    return make_decoder(name, preprocess, device)


def _to_numpy(rows: list[torch_types.Tensor | np.ndarray], dim: int) -> np.ndarray:
    """float32 [sum, dim] from batches in host memory (cached ones: no torch needed) or tensors that may sit on the
    device (moved once, at the end)."""
    if not rows:
        return np.zeros((0, dim), np.float32)
    if all(isinstance(r, np.ndarray) for r in rows):
        return np.concatenate(rows).astype(np.float32, copy=False)
    tensors = [torch.as_tensor(r) for r in rows]
    # Gathered where the encoded batches are (an empty batch of skipped images sits in host memory).
    device = next((t.device for t in tensors if t.device.type != "cpu"), torch.device("cpu"))
    return torch.cat([t.to(device) for t in tensors]).float().cpu().numpy()


def _image_name(images: Images, index: int, ids: Sequence[str]) -> str:
    return str(images[index]) if not isinstance(images, np.ndarray) else f"#{index} ({ids[index]})"


def distinct(items: Iterable[T], key: Callable[[T], Hashable]) -> tuple[list[T], np.ndarray]:
    """The items of distinct keys in order of first appearance, and per item the index of its key's first item."""
    index: dict[Hashable, int] = {}
    first: list[T] = []
    inverse = []
    for item in items:
        k = key(item)
        if k not in index:
            index[k] = len(first)
            first.append(item)
        inverse.append(index[k])
    return first, np.asarray(inverse, dtype=np.int64)


def distinct_token_rows(tokens: TokenArrays) -> tuple[list[int], np.ndarray]:
    """The rows of `tokens` with distinct input to the text tower (kept ids, and pooled span where a model has
    one), in order of first appearance, and per row the index of its first equal row."""
    ids, lengths = tokens.ids, tokens.lengths
    pool = tokens.pool_lengths if tokens.pool_lengths is not None else np.zeros_like(lengths)
    return distinct(range(len(ids)), lambda row: (ids[row, :lengths[row]].tobytes(), int(pool[row])))


def image_identity(images: Images, row: int) -> Hashable:
    """What makes two rows one image: the file's real path (links resolved), with a zip member's name and a crop's
    box (data/image_ref.py), the archive's real path and a tar member's place in it, or the array's bytes (a
    digest)."""
    if isinstance(images, np.ndarray):
        return hashlib.blake2b(np.ascontiguousarray(images[row]).tobytes(), digest_size=16).digest()
    image = images[row]
    if isinstance(image, ImageRef):
        return os.path.realpath(image.file), image.member, image.box
    if isinstance(image, TarMember):
        return os.path.realpath(image.archive), image.offset
    return os.path.realpath(image)
