"""A model known from its manifest, whose weights load only when something must be encoded.

A run that finds every result up to date (`--skip-existing`) or every embedding in the cache needs of a model only
what names it and keys its cache entries: its provenance (name, checkpoint sha256, tokenizer, text spec), context
length, embedding width, and its identity for the embedding cache (preprocessing description, tower digests:
embedding_cache.model_identity). When a model is loaded for a run, these are written as its manifest under the cache
home's `manifests/` (memo.py); the next run of the same request reads them back in milliseconds instead of importing
the backend's libraries and building the model (seconds), and loads the weights on the first cache miss only.

A manifest is keyed by the request (model name, the checkpoint file's path as given and its sha256, label,
trust_remote_code) and by everything else the loaded model depends on: longbench's own source and the versions of
the libraries that build models. Only requests whose weights are a `--checkpoint` file and whose model name names no
folder or Hub repository (no '/') have one: the others read files that can change without the key noticing (a Hub
cache, a model folder's config). A loaded model whose provenance is not the manifest's stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import bpe, tokenizer
from .adapters.core.loading import load_model
from .adapters.core.protocol import ImageTextModel, TextSpec, TokenArrays, TokenBatch, Tower, cut_length
from .cache_home import MANIFESTS
from .embedding_cache import model_identity, pin_identity
from .errors import CheckpointError
from .file_hashes import sha256_file
from .lazy import torch
from .memo import memo_key, memo_path, read_memo, write_memo
from .provenance import ModelInfo
from .versions import OPEN_CLIP, installed_version, source_digest

if TYPE_CHECKING:
    import torch as torch_types

#: Bump when a manifest's fields change meaning.
MANIFEST_VERSION = 1
#: The libraries whose versions can change a loaded model (its architecture, weights or tokenizer).
LIBRARIES = ("torch", "torchvision", OPEN_CLIP, "transformers", "timm", "ftfy", "safetensors")


def manifest_key(name: str | None, checkpoint: Path | str | None, label: str | None,
                 trust_remote_code: bool) -> str | None:
    """The manifest key of a `load_model` request, or None for requests that have no manifest (module doc)."""
    if checkpoint is None or (name is not None and ("/" in name or Path(name).is_dir())):
        return None
    path = Path(checkpoint)
    if not path.is_file():
        return None  # load_model says what is wrong with it
    return memo_key("manifest", MANIFEST_VERSION, source_digest(), {lib: installed_version(lib) for lib in LIBRARIES},
                    {"name": name, "checkpoint": str(path), "sha256": sha256_file(path), "label": label,
                     "trust_remote_code": trust_remote_code})


def manifest_of(model: ImageTextModel) -> dict[str, Any]:
    return {"provenance": asdict(model.provenance), "context_length": model.context_length,
            "embed_dim": model.embed_dim, "text_spec": asdict(model.text_spec), "identity": model_identity(model)}


def load_remembered(name: str | None, checkpoint: Path | str | None, *, label: str | None = None,
                    trust_remote_code: bool = False, cache_dir: Path | None = None,
                    remember: bool = True) -> ImageTextModel:
    """`load_model(...)`, as a DeferredModel where the request's manifest is known, else loaded and its manifest
    written (for requests that have one); `remember=False` (`--no-cache`) loads and writes nothing."""
    def load() -> ImageTextModel:
        return load_model(name, checkpoint, label=label, trust_remote_code=trust_remote_code)

    key = manifest_key(name, checkpoint, label, trust_remote_code) if remember else None
    if key is None:
        return load()
    manifest = read_memo(MANIFESTS, key, cache_dir)
    if manifest is not None:
        try:
            return DeferredModel(manifest, load, memo_path(MANIFESTS, key, override=cache_dir))
        except (KeyError, TypeError, ValueError):
            pass  # a manifest of another shape: loaded and written anew
    model = load()
    write_memo(MANIFESTS, key, manifest_of(model), cache_dir)
    return model


class DeferredModel:
    """An ImageTextModel answered from its manifest until a call needs the weights (`model` loads them once).

    Tokenizing with CLIP BPE needs no weights; encoding, preprocessing and the towers' tensors do. The embedding
    cache keys it by the manifest's identity, pinned (embedding_cache.pin_identity), before and after loading.
    """

    def __init__(self, manifest: dict[str, Any], load: Callable[[], ImageTextModel], where: Path):
        self.provenance = ModelInfo(**manifest["provenance"])
        self.text_spec = TextSpec(**manifest["text_spec"])
        self.context_length = int(manifest["context_length"])
        self.embed_dim = int(manifest["embed_dim"])
        pin_identity(self, manifest["identity"])
        self._load, self._where = load, where
        self._model: ImageTextModel | None = None
        #: Where the weights go once loaded, as given to `to` (a name, so that moving it needs no torch).
        self._device: str | torch_types.device = "cpu"
        #: Seconds spent loading the weights (0 until they are needed).
        self.load_seconds = 0.0

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> ImageTextModel:
        """The loaded model (loading it on first use), on the device this one was moved to."""
        if self._model is None:
            start = time.perf_counter()
            model = self._load()
            if model.provenance != self.provenance:
                raise CheckpointError(f"{self.name}: the loaded model is not the one its manifest {self._where} "
                                      "describes; delete that file and run again")
            self._model = model.to(self._device)
            self.load_seconds += time.perf_counter() - start
        return self._model

    @property
    def device(self) -> torch_types.device:
        return self._model.device if self._model is not None else torch.device(self._device)

    def to(self, device: str | torch_types.device) -> DeferredModel:
        self._device = device
        if self._model is not None:
            self._model.to(device)
        return self

    @property
    def preprocess(self) -> Callable[[Any], torch_types.Tensor]:
        return self.model.preprocess

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        return self.token_arrays(texts, context_length).batch()

    def token_arrays(self, texts: Sequence[str], context_length: int | None = None) -> TokenArrays:
        """`tokenize` as numpy arrays: CLIP BPE (the open_clip backend's ClipBpe) runs without the model and
        without torch; any other tokenizer needs the model loaded."""
        if self.provenance.tokenizer == bpe.NAME:
            return tokenizer.token_arrays(texts, cut_length(context_length, self.context_length))
        return self.model.tokenize(texts, context_length).arrays()

    def encode_text(self, batch: TokenBatch) -> torch_types.Tensor:
        return self.model.encode_text(batch)

    def encode_image(self, pixels: torch_types.Tensor) -> torch_types.Tensor:
        return self.model.encode_image(pixels)

    def tower_state(self, tower: Tower) -> dict[str, torch_types.Tensor]:
        return self.model.tower_state(tower)


def weights_seconds(model: ImageTextModel) -> float:
    """Seconds a deferred model has spent loading its weights so far (0 for any other model: loaded before)."""
    return model.load_seconds if isinstance(model, DeferredModel) else 0.0
