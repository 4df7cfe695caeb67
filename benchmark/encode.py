"""Batching captions and images through an adapter: length-aware text batches, DataLoader image batches, AMP.

Text: captions are sorted by token length and batched. Where the model's `TextSpec` says trimming is exact (causal
attention pooled at the end token, or masked padding), each batch is cut after its own longest caption: most of a
248-token context is padding for typical captions. Elsewhere (SigLIP, MobileCLIP-S: bidirectional towers that
attend padding) every batch is padded to the length the model was trained with. `trim=False` pads everywhere.

Under torchrun each rank encodes its share of these batches and the shares are gathered back in order
(distributed.py); with one process the group is rank 0 of 1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .adapters.protocol import ImageTextModel, TokenBatch
from .data.images import ImageDataset, collate
from .datasets import Images
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
from .progress import track

PRECISIONS = ("auto", "fp32", "fp16", "bf16")


@dataclass
class TextEmbeddings:
    vectors: np.ndarray  # float32 [N, D], L2-normalised
    token_lengths: np.ndarray  # int [N], tokens before truncation incl. SOT and EOT
    truncated: np.ndarray  # bool [N]
    context_length: int = 0

    @property
    def tokens_lost(self) -> np.ndarray:
        return np.maximum(self.token_lengths - self.context_length, 0)


@dataclass
class ImageEmbeddings:
    vectors: np.ndarray  # float32 [M, D] for the images that decoded, in input order
    kept: np.ndarray  # int [M], index into the input of each row
    skipped: list[str] = field(default_factory=list)  # "<id>: <reason>" of each image that failed


def resolve_device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise DataError(f"unknown device {device!r} (expected cpu, cuda, cuda:N, mps or auto)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DataError(f"device {device!r} asked for, but torch sees no CUDA device")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise DataError(f"device {device!r} asked for, but torch sees no MPS device")
    return dev


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """'auto' is fp16 autocast on CUDA (what CLIP evaluations use there) and fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise DataError(f"unknown precision {precision!r} (expected one of {', '.join(PRECISIONS)})")
    if precision == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]


class Encoder:
    """Embeds captions and images with one adapter on one device."""

    def __init__(self, adapter: ImageTextModel, device: str | None = "cpu", batch_size: int = 64, workers: int = 0,
                 precision: str = "auto", progress: bool = True, skip_bad_images: bool = False, trim: bool = True,
                 group: Group | None = None, cache: EmbeddingCache | None = None,
                 skip_hint: str = "; pass --skip-bad-images to skip it"):
        if batch_size < 1:
            raise DataError(f"batch size must be at least 1, got {batch_size}")
        if workers < 0:
            raise DataError(f"workers must be >= 0, got {workers}")
        self.group = group or Group()
        self.device = self.group.place(resolve_device(device))
        self.dtype = resolve_dtype(precision, self.device)
        self.adapter = adapter.to(self.device)
        self.batch_size = batch_size
        self.workers = workers
        self.progress = progress and self.group.main
        self.skip_bad_images = skip_bad_images
        #: Cut text batches after their longest caption where the model's text spec makes that exact.
        self.trim = trim
        #: Batches already encoded (embedding_cache.py) are read from here, new ones written; None: no cache.
        self.cache = cache
        #: Appended to a decoding error: how the caller's command skips a bad image ("" where it cannot).
        self.skip_hint = skip_hint

    def _autocast(self):
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def texts(self, texts: Sequence[str], context_length: int | None = None, desc: str = "texts") -> TextEmbeddings:
        """Embeddings of `texts`, tokenized at the model's context (or a shorter `context_length`)."""
        tokens = self.adapter.tokenize(texts, context_length)
        # Longest first: the first batch shows the peak memory at once, and each batch is cut at its own length.
        order = torch.argsort(tokens.lengths, descending=True, stable=True)
        chunks = list(torch.split(order, self.batch_size))
        share = self.group.share(len(chunks))
        mine = chunks[share.start:share.stop]
        settings = text_settings_key(self.adapter, self.dtype, self.device) if self.cache else ""

        def encode() -> tuple[np.ndarray, np.ndarray]:
            rows = [np.zeros((0, self.adapter.embed_dim), np.float32)]
            for chunk in track(mine, sum(map(len, mine)), f"encode {desc}", self.progress, unit_size=len):
                rows.append(self._cached_text_batch(self.text_batch(tokens.select(chunk)), settings))
            return torch.cat([order[:0], *mine]).numpy(), np.concatenate(rows)

        out = np.zeros((len(texts), self.adapter.embed_dim), dtype=np.float32)
        for index, vectors in self.group.gather(encode):
            out[index] = vectors
        # On the gathered rows, so every rank (and any later cache) sees the same verdict.
        require_finite(out, self.adapter.name, "text tower", lambda row: f"caption {row} {excerpt(texts[row])}")
        return TextEmbeddings(out, tokens.raw_lengths.numpy(), tokens.truncated.numpy(),
                              context_length or self.adapter.context_length)

    @property
    def trims(self) -> bool:
        """Whether text batches are cut after their longest caption (asked for, and exact for this model)."""
        return self.trim and self.adapter.text_spec.trim_exact

    def text_batch(self, batch: TokenBatch) -> TokenBatch:
        """The batch as the text tower gets it: trimmed where exact, else padded to the model's fixed length."""
        if self.trims:
            return batch.trimmed()
        return batch.padded(self.adapter.text_spec.fixed_length or self.adapter.context_length)

    def _cached_text_batch(self, batch: TokenBatch, settings: str) -> np.ndarray:
        if self.cache is None:
            return self._encode_text(batch)
        # Keyed by the batch exactly as the tower gets it (ids at its width, and lengths for masked towers).
        key = text_batch_key(settings, batch.ids, batch.lengths)
        hit = self.cache.get("text", key, len(batch), self.adapter.embed_dim)
        if hit is not None:
            return hit.vectors
        vectors = self._encode_text(batch)
        self.cache.put("text", key, Batch(vectors, np.arange(len(batch)), []))
        return vectors

    def _encode_text(self, batch: TokenBatch) -> np.ndarray:
        with self._autocast():
            return self.adapter.encode_text(batch).cpu().numpy()

    def images(self, images: Images, ids: Sequence[str] | None = None, skip_bad: bool | None = None,
               crop_border: int = 0, desc: str = "images") -> ImageEmbeddings:
        """Embeddings of the images that decode; a bad one raises DataError naming it unless skipping."""
        skip = self.skip_bad_images if skip_bad is None else skip_bad
        ids = list(ids) if ids is not None else [str(p) for p in range(len(images))]
        # The batches one process forms (this rank's share of them): cached ones are read, the others decoded and
        # encoded as they were, so the embeddings are the same whatever the cache held and however many ranks.
        plan = [list(range(s, min(s + self.batch_size, len(images)))) for s in range(0, len(images), self.batch_size)]
        share = self.group.share(len(plan))
        plan = plan[share.start:share.stop]

        def encode() -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
            cached, keys = self._cached_image_batches(images, plan, crop_border)
            missing = [chunk for b, chunk in enumerate(plan) if cached[b] is None]
            # Only the missing batches are decoded (no worker starts when every batch is cached).
            loader = iter(torch.utils.data.DataLoader(
                ImageDataset(images, self.adapter.preprocess, crop_border), batch_sampler=missing,
                num_workers=self.workers, collate_fn=collate, pin_memory=self.device.type == "cuda") if missing else ())
            vectors, kept, skipped = [], [], []
            for b, chunk in track(list(enumerate(plan)), sum(map(len, plan)), f"encode {desc}", self.progress,
                                  unit_size=lambda item: len(item[1])):
                batch = cached[b] if cached[b] is not None else self._encode_image_batch(next(loader), chunk[0],
                                                                                          skip, keys[b])
                for position, reason in batch.failures:
                    name = _image_name(images, chunk[position], ids)
                    if not skip:
                        raise DataError(f"cannot decode image {name} ({reason}){self.skip_hint}")
                    skipped.append(f"{name}: {reason}")
                vectors.append(batch.vectors)
                kept.append(batch.kept + chunk[0])
            return vectors, kept, skipped

        vectors, kept, skipped = ([item for part in parts for item in part]
                                  for parts in zip(*self.group.gather(encode), strict=True))
        dim = self.adapter.embed_dim
        result = ImageEmbeddings(np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32),
                                 np.concatenate(kept) if kept else np.zeros(0, np.int64), skipped)
        if skipped and not len(result.kept):  # batches of failures still add (empty) rows: count the images
            raise DataError(f"{desc}: no images left to evaluate: all {len(skipped)} failed to decode "
                            f"(first: {skipped[0]})")
        require_finite(result.vectors, self.adapter.name, "image tower",
                       lambda row: f"image {_image_name(images, int(result.kept[row]), ids)}")
        return result

    def _cached_image_batches(self, images: Images, plan: list[list[int]],
                              crop_border: int) -> tuple[list[Batch | None], list[str | None]]:
        if self.cache is None:
            return [None] * len(plan), [None] * len(plan)
        settings = image_settings_key(self.adapter, self.dtype, self.device, crop_border)
        items = image_fingerprints(images)
        keys = [image_batch_key(settings, [items[i] for i in chunk]) for chunk in plan]
        dim = self.adapter.embed_dim
        return [self.cache.get("image", key, len(chunk), dim) for key, chunk in zip(keys, plan, strict=True)], keys

    def _encode_image_batch(self, loaded, start: int, skip: bool, key: str | None) -> Batch:
        """One decoded batch encoded; written to the cache unless a failure stops the run."""
        idx, pixels, failures = loaded
        if failures and not skip:  # raised by the caller, naming the first bad image; nothing is written
            return Batch(np.zeros((0, self.adapter.embed_dim), np.float32), np.zeros(0, np.int64),
                         [(f.index - start, f.reason) for f in failures])
        if pixels is not None:
            with self._autocast():
                vectors = self.adapter.encode_image(pixels).cpu().numpy()
        else:
            vectors = np.zeros((0, self.adapter.embed_dim), np.float32)
        batch = Batch(vectors, idx.numpy().astype(np.int64) - start, [(f.index - start, f.reason) for f in failures])
        if self.cache is not None and key is not None:
            self.cache.put("image", key, batch)
        return batch


def _image_name(images: Images, index: int, ids: Sequence[str]) -> str:
    return str(images[index]) if not isinstance(images, np.ndarray) else f"#{index} ({ids[index]})"
