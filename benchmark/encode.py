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
                 group: Group | None = None, skip_hint: str = "; pass --skip-bad-images to skip it"):
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

        def encode() -> tuple[np.ndarray, np.ndarray]:
            rows = [np.zeros((0, self.adapter.embed_dim), np.float32)]
            for chunk in track(mine, sum(map(len, mine)), f"encode {desc}", self.progress, unit_size=len):
                with self._autocast():
                    rows.append(self.adapter.encode_text(self.text_batch(tokens.select(chunk))).cpu().numpy())
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

    def images(self, images: Images, ids: Sequence[str] | None = None, skip_bad: bool | None = None,
               crop_border: int = 0, desc: str = "images") -> ImageEmbeddings:
        """Embeddings of the images that decode; a bad one raises DataError naming it unless skipping."""
        skip = self.skip_bad_images if skip_bad is None else skip_bad
        ids = list(ids) if ids is not None else [str(p) for p in range(len(images))]
        # This rank's share of whole batches: the batches one process would form, so the same embeddings.
        share = self.group.share(-(-len(images) // self.batch_size))
        mine = range(share.start * self.batch_size, min(share.stop * self.batch_size, len(images)))
        dataset = torch.utils.data.Subset(ImageDataset(images, self.adapter.preprocess, crop_border), mine)
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=self.batch_size, num_workers=self.workers, collate_fn=collate,
            pin_memory=self.device.type == "cuda")

        def encode() -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
            vectors, kept, skipped = [], [], []
            for idx, pixels, failures in track(loader, len(mine), f"encode {desc}", self.progress,
                                               unit_size=lambda b: len(b[0]) + len(b[2])):
                for f in failures:
                    name = _image_name(images, f.index, ids)
                    if not skip:
                        raise DataError(f"cannot decode image {name} ({f.reason}){self.skip_hint}")
                    skipped.append(f"{name}: {f.reason}")
                if pixels is not None:
                    with self._autocast():
                        vectors.append(self.adapter.encode_image(pixels).cpu().numpy())
                    kept.append(idx.numpy())
            return vectors, kept, skipped

        vectors, kept, skipped = ([item for part in parts for item in part]
                                  for parts in zip(*self.group.gather(encode), strict=True))
        if skipped and not kept:
            raise DataError(f"{desc}: no images left to evaluate: all {len(skipped)} failed to decode "
                            f"(first: {skipped[0]})")
        dim = self.adapter.embed_dim
        result = ImageEmbeddings(np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32),
                                 np.concatenate(kept) if kept else np.zeros(0, np.int64), skipped)
        require_finite(result.vectors, self.adapter.name, "image tower",
                       lambda row: f"image {_image_name(images, int(result.kept[row]), ids)}")
        return result


def _image_name(images: Images, index: int, ids: Sequence[str]) -> str:
    return str(images[index]) if not isinstance(images, np.ndarray) else f"#{index} ({ids[index]})"
