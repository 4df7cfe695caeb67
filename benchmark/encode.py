"""Batching captions and images through an adapter: length-aware text batches, DataLoader image batches, AMP.

Text: captions are sorted by token length and batched. Where the model's `TextSpec` says trimming is exact (causal
attention pooled at the end token, or masked padding), each batch is cut after its own longest caption: most of a
248-token context is padding for typical captions. Elsewhere (SigLIP, MobileCLIP-S: bidirectional towers that
attend padding) every batch is padded to the length the model was trained with. `trim=False` pads everywhere.

Under torchrun each rank encodes its share of these batches and the shares are gathered back in order
(distributed.py); with one process the group is rank 0 of 1.

Images: `start_images` starts the decoding workers at once, so a caller can encode captions while they decode
(`ImageStream.collect` then consumes the batches). On CUDA, batches come in pinned memory and are copied without
blocking, and embeddings stay on the device until the end: no per-batch synchronisation.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .adapters.protocol import ImageTextModel, TokenBatch
from .data.decoders import Decoder, make_decoder
from .data.loader import PREFETCH, parse_count, resolve_batch_size, resolve_workers
from .datasets import Images
from .distributed import Group
from .errors import DataError
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

    def select(self, keep: np.ndarray) -> TextEmbeddings:
        """The rows where `keep` (bool [N]) is set; each row depends on its own caption only."""
        return TextEmbeddings(self.vectors[keep], self.token_lengths[keep], self.truncated[keep], self.context_length)


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
    """Embeds captions and images with one adapter on one device.

    batch_size and workers take a number or "auto" (data/loader.py), decode a `--decode` mode (data/decoders.py);
    `settings` says what was used, and `stage_times` accumulates the seconds spent tokenizing and waiting for (or,
    on the GPU, doing) image decoding; the caller resets it.
    """

    def __init__(self, adapter: ImageTextModel, device: str | None = "cpu", batch_size: int | str = 64,
                 workers: int | str = 0, precision: str = "auto", progress: bool = True,
                 skip_bad_images: bool = False, trim: bool = True, decode: str | Decoder = "pil",
                 group: Group | None = None):
        self.group = group or Group()
        self.device = self.group.place(resolve_device(device))
        self.batch_size = resolve_batch_size(batch_size, self.device)
        parse_count(workers, "--workers", 0)  # a bad value fails now, not at the first image
        self.dtype = resolve_dtype(precision, self.device)
        self.decoder = decode if isinstance(decode, Decoder) else make_decoder(decode, adapter.preprocess, self.device)
        self.adapter = adapter.to(self.device)
        self.workers = workers
        self.workers_used: int | None = None
        self.progress = progress and self.group.main
        self.skip_bad_images = skip_bad_images
        #: Cut text batches after their longest caption where the model's text spec makes that exact.
        self.trim = trim
        self.stage_times: dict[str, float] = {}

    @property
    def settings(self) -> dict[str, int | str | None]:
        """What the run used: batch size, image decoding, and the worker count of the last image pass (None before
        one)."""
        return {"batch_size": self.batch_size, "workers": self.workers_used, "decode": self.decoder.name}

    def _autocast(self):
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def _add_time(self, stage: str, seconds: float) -> None:
        self.stage_times[stage] = self.stage_times.get(stage, 0.0) + seconds

    def texts(self, texts: Sequence[str], context_length: int | None = None, desc: str = "texts") -> TextEmbeddings:
        """Embeddings of `texts`, tokenized at the model's context (or a shorter `context_length`)."""
        start = time.perf_counter()
        tokens = self.adapter.tokenize(texts, context_length)
        self._add_time("tokenize", time.perf_counter() - start)
        # Longest first: the first batch shows the peak memory at once, and each batch is cut at its own length.
        order = torch.argsort(tokens.lengths, descending=True, stable=True)
        chunks = list(torch.split(order, self.batch_size))
        share = self.group.share(len(chunks))
        mine = chunks[share.start:share.stop]

        def encode() -> tuple[np.ndarray, np.ndarray]:
            # On the device until the end: no synchronisation per batch.
            rows = [torch.zeros((0, self.adapter.embed_dim), device=self.device)]
            for chunk in track(mine, sum(map(len, mine)), f"encode {desc}", self.progress, unit_size=len):
                with self._autocast():
                    rows.append(self.adapter.encode_text(self.text_batch(tokens.select(chunk))))
            return torch.cat([order[:0], *mine]).numpy(), torch.cat(rows).cpu().numpy()

        out = np.zeros((len(texts), self.adapter.embed_dim), dtype=np.float32)
        for index, vectors in self.group.gather(encode):
            out[index] = vectors
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
        return self.start_images(images, ids, skip_bad, crop_border, desc).collect()

    def start_images(self, images: Images, ids: Sequence[str] | None = None, skip_bad: bool | None = None,
                     crop_border: int = 0, desc: str = "images") -> ImageStream:
        """Start decoding `images` (workers begin at once); `collect()` on the result encodes them."""
        # This rank's share of whole batches: the batches one process would form, so the same embeddings.
        share = self.group.share(-(-len(images) // self.batch_size))
        mine = range(share.start * self.batch_size, min(share.stop * self.batch_size, len(images)))
        workers = resolve_workers(self.workers, len(mine), self.batch_size, self.device)
        self.workers_used = workers
        loader = torch.utils.data.DataLoader(
            torch.utils.data.Subset(self.decoder.dataset(images, crop_border), mine), batch_size=self.batch_size,
            num_workers=workers, collate_fn=self.decoder.collate, pin_memory=self.device.type == "cuda",
            prefetch_factor=PREFETCH if workers else None)
        ids = list(ids) if ids is not None else [str(p) for p in range(len(images))]
        return ImageStream(self, images, ids, self.skip_bad_images if skip_bad is None else skip_bad, desc,
                           iter(loader), len(mine))


class ImageStream:
    """Image batches being decoded; `collect` encodes them in order (see the module doc)."""

    def __init__(self, encoder: Encoder, images: Images, ids: list[str], skip: bool, desc: str, batches,
                 n_mine: int):
        self.encoder, self.images, self.ids, self.skip, self.desc = encoder, images, ids, skip, desc
        self.batches, self.n_mine = batches, n_mine

    def collect(self) -> ImageEmbeddings:
        enc = self.encoder

        def encode() -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
            vectors, kept, skipped = [], [], []
            for idx, pixels, failures in track(self._timed_batches(), self.n_mine, f"encode {self.desc}",
                                               enc.progress, unit_size=lambda b: len(b[0]) + len(b[2])):
                for f in failures:
                    name = _image_name(self.images, f.index, self.ids)
                    if not self.skip:
                        raise DataError(f"cannot decode image {name} ({f.reason}); pass --skip-bad-images to "
                                        f"skip it")
                    skipped.append(f"{name}: {f.reason}")
                if pixels is not None:
                    with enc._autocast():
                        vectors.append(enc.adapter.encode_image(pixels))
                    kept.append(idx.numpy())
            # On the device until the end of the pass: one transfer, no synchronisation per batch.
            return [torch.cat(vectors).cpu().numpy()] if vectors else [], kept, skipped

        vectors, kept, skipped = ([item for part in parts for item in part]
                                  for parts in zip(*enc.group.gather(encode), strict=True))
        dim = enc.adapter.embed_dim
        return ImageEmbeddings(np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32),
                               np.concatenate(kept) if kept else np.zeros(0, np.int64), skipped)

    def _timed_batches(self):
        """The batches as device pixels; the time spent waiting for them (and decoding on the GPU) is `decode`."""
        while True:
            start = time.perf_counter()
            batch = next(self.batches, None)
            if batch is not None:
                batch = self.encoder.decoder.to_device(*batch)
            self.encoder._add_time("decode", time.perf_counter() - start)
            if batch is None:
                return
            yield batch


def _image_name(images: Images, index: int, ids: Sequence[str]) -> str:
    return str(images[index]) if not isinstance(images, np.ndarray) else f"#{index} ({ids[index]})"
