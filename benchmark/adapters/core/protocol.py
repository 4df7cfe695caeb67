"""The model protocol every backend implements, and the token batches and text spec it exchanges.

A backend (open_clip, transformers, ...) turns a model name into an `ImageTextModel`; everything downstream (the
Encoder, evaluators, the probe) uses only what is declared here. The `TextSpec` says how the text tower reads its
input, which decides whether a batch may be cut after its longest caption (exact) or must be padded to the length
the model was trained with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

from ...lazy import torch

if TYPE_CHECKING:
    import torch as torch_types
    from PIL import Image

    from ...provenance import ModelInfo

#: Where the text embedding is read: the largest id (CLIP's EOT), the first end-token id, the last position, the
#: first position, or the mean over real (unpadded) tokens.
Pool = Literal["eot_argmax", "eos_id", "last", "cls", "mean"]
POOLS: tuple[str, ...] = ("eot_argmax", "eos_id", "last", "cls", "mean")
Tower = Literal["image", "text"]


@dataclass(frozen=True)
class TextSpec:
    """How a text tower reads a padded batch."""

    #: Each position attends only to itself and earlier positions.
    causal: bool
    #: Padding positions are hidden from every query (an attention mask built from the ids or lengths).
    pad_masked: bool
    pool: Pool
    pad_id: int
    eos_id: int | None = None
    #: The padded length the model was trained with, where padding is attended (64 SigLIP, 77 MobileCLIP-S);
    #: None when any width up to the context gives the same embeddings.
    fixed_length: int | None = None

    def __post_init__(self):
        if self.pool not in POOLS:
            raise ValueError(f"unknown pool {self.pool!r} (expected one of {', '.join(POOLS)})")
        if self.pool == "eos_id" and self.eos_id is None:
            raise ValueError("pool 'eos_id' needs an eos_id")

    @property
    def trim_exact(self) -> bool:
        """Whether cutting a batch after its longest caption leaves every embedding unchanged (up to rounding).

        Causal attention pooled at the end token: later (padding) positions cannot reach it. Masked padding pooled
        at a real token or over real tokens: padding is invisible. Anything else (bidirectional towers that attend
        padding, pooling at the last position) depends on the padded width.
        """
        if self.causal and self.pool in ("eot_argmax", "eos_id"):
            return True
        return self.pad_masked and self.pool in ("cls", "mean", "eos_id", "eot_argmax")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "trim_exact": self.trim_exact}


def cut_length(context_length: int | None, model_context: int) -> int:
    """The length `tokenize` cuts at: the model's context, or a shorter one (the length probe's); never longer."""
    length = context_length or model_context
    if length > model_context:
        raise ValueError(f"context_length {length} exceeds the model's context {model_context}")
    return length


@dataclass
class TokenArrays:
    """A TokenBatch's numbers as numpy arrays: how the Encoder sorts, cuts, pads and keys batches without torch (a
    run whose batches are all cached never imports it). `batch()` is the TokenBatch a text tower gets; both views
    share memory."""

    ids: np.ndarray  # int64 [N, L]
    lengths: np.ndarray  # int64 [N]
    raw_lengths: np.ndarray  # int64 [N]
    pad_id: int = 0
    pool_lengths: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def truncated(self) -> np.ndarray:
        return self.raw_lengths > self.lengths

    def batch(self) -> TokenBatch:
        pool = None if self.pool_lengths is None else torch.from_numpy(self.pool_lengths)
        return TokenBatch(torch.from_numpy(self.ids), torch.from_numpy(self.lengths),
                          torch.from_numpy(self.raw_lengths), self.pad_id, pool)

    def _with_ids(self, ids: np.ndarray) -> TokenArrays:
        return TokenArrays(ids, self.lengths, self.raw_lengths, self.pad_id, self.pool_lengths)

    def select(self, rows: np.ndarray | Sequence[int]) -> TokenArrays:
        rows = np.asarray(rows, dtype=np.int64)
        pool = None if self.pool_lengths is None else self.pool_lengths[rows]
        return TokenArrays(self.ids[rows], self.lengths[rows], self.raw_lengths[rows], self.pad_id, pool)

    def trimmed(self) -> TokenArrays:
        """Cut after the longest caption (only exact where the model's `TextSpec.trim_exact` says so)."""
        width = max(int(self.lengths.max()), 1) if len(self) else 1
        return self._with_ids(self.ids[:, :width])

    def padded(self, width: int) -> TokenArrays:
        """Exactly `width` positions: padding added with `pad_id`, or padding columns dropped (never a token)."""
        have = self.ids.shape[1]
        if have >= width:
            if len(self) and int(self.lengths.max()) > width:
                raise ValueError(f"captions of {int(self.lengths.max())} tokens do not fit in {width} positions")
            return self._with_ids(self.ids[:, :width])
        pad = np.full((len(self), width - have), self.pad_id, dtype=self.ids.dtype)
        return self._with_ids(np.concatenate([self.ids, pad], axis=1))


@dataclass
class TokenBatch:
    """Token ids of N captions, with how many tokens each kept and had before truncation (so truncation is counted).

    Positions at or past `lengths[i]` hold `pad_id`. Selecting, cutting and padding are TokenArrays' (one
    implementation), on these tensors' memory.
    """

    ids: torch_types.Tensor  # int64 [N, L]
    lengths: torch_types.Tensor  # int64 [N], tokens kept including special tokens
    raw_lengths: torch_types.Tensor  # int64 [N], tokens before truncation including special tokens
    pad_id: int = 0
    #: int64 [N]: how many of each caption's last kept tokens a "mean" pool averages, where that is not all of
    #: them (LLM2Vec leaves its chat header out); None: all kept tokens.
    pool_lengths: torch_types.Tensor | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls, context_length: int, pad_id: int) -> TokenBatch:
        """No captions: an [0, context_length] batch (tokenizers return it without calling their library)."""
        none = np.zeros(0, dtype=np.int64)
        return TokenArrays(np.zeros((0, context_length), dtype=np.int64), none, none, pad_id).batch()

    def arrays(self) -> TokenArrays:
        """The same numbers as numpy arrays (no copy for int64 tensors in host memory)."""
        pool = None if self.pool_lengths is None else _host_int64(self.pool_lengths)
        return TokenArrays(_host_int64(self.ids), _host_int64(self.lengths), _host_int64(self.raw_lengths),
                           self.pad_id, pool)

    @property
    def truncated(self) -> torch_types.Tensor:
        return self.raw_lengths > self.lengths

    @property
    def tokens_lost(self) -> torch_types.Tensor:
        return self.raw_lengths - self.lengths

    @property
    def attention_mask(self) -> torch_types.Tensor:
        """int64 [N, L]: 1 on kept tokens, 0 on padding."""
        positions = torch.arange(self.ids.shape[1], device=self.ids.device)
        return (positions < self.lengths.to(self.ids.device)[:, None]).long()

    def left_aligned(self) -> torch_types.Tensor:
        """The ids with each caption moved to the right end, its padding first (a left-padding tokenizer's
        layout)."""
        width = self.ids.shape[1]
        shift = width - self.lengths.to(self.ids.device)[:, None]
        return self.ids.gather(1, (torch.arange(width, device=self.ids.device)[None] - shift) % width)

    def select(self, rows: torch_types.Tensor | Sequence[int]) -> TokenBatch:
        return self.arrays().select(np.asarray(rows, dtype=np.int64)).batch()

    def trimmed(self) -> TokenBatch:
        """Cut after the longest caption (only exact where the model's `TextSpec.trim_exact` says so)."""
        return self.arrays().trimmed().batch()

    def padded(self, width: int) -> TokenBatch:
        """Exactly `width` positions: padding added with `pad_id`, or padding columns dropped (never a token)."""
        return self.arrays().padded(width).batch()


def _host_int64(tensor: torch_types.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu", torch.int64).numpy()


@runtime_checkable
class ImageTextModel(Protocol):
    """What every backend returns from `load_model`: tokenizer, both towers, preprocessing and provenance.

    Embeddings are L2-normalised float tensors. `encode_text` embeds a batch of any width up to `context_length`
    exactly as the model's reference code would at that width; whether a narrower width is allowed is the
    Encoder's decision, from `text_spec`.
    """

    provenance: ModelInfo
    preprocess: Callable[[Image.Image], torch_types.Tensor]

    @property
    def name(self) -> str: ...

    @property
    def context_length(self) -> int: ...

    @property
    def text_spec(self) -> TextSpec: ...

    @property
    def embed_dim(self) -> int: ...

    @property
    def device(self) -> torch_types.device: ...

    def to(self, device: str | torch_types.device) -> ImageTextModel: ...

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        """Tokens of `texts` at the model's context, or a shorter one (the length probe cuts captions so)."""

    def encode_text(self, batch: TokenBatch) -> torch_types.Tensor: ...

    def encode_image(self, pixels: torch_types.Tensor) -> torch_types.Tensor: ...

    def tower_state(self, tower: Tower) -> dict[str, torch_types.Tensor]:
        """Every tensor one tower's embeddings depend on (the effective position table included), for fingerprints.

        Weights only: build settings that are not tensors (activation, tokenizer, text spec) are in `provenance`,
        so a cache key is `provenance` + a digest of these tensors.
        """
