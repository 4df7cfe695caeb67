"""LLM2CLIP (microsoft/LLM2CLIP-Openai-L-14-336, -Openai-L-14-224, -Openai-B-16, -EVA02-L-14-336, ...; remote code,
opt-in): two repositories make one model.

- The CLIP repository (this `hf:` name, pinned, its code run): the image tower, and `get_text_features`, the
  adapter that maps an LLM vector into the joint space.
- The LLM: `#llm=ORG/REPO[@REVISION]` or `#llm=FOLDER`; without it the authors' pairing,
  microsoft/LLM2CLIP-Llama-3-8B-Instruct-CC-Finetuned. Its code is not run: the weights load into transformers'
  `LlamaModel` and llm2vec_text.py computes LLM2Vec's text path (`max_length=512`, mean over the caption).

Read in microsoft/LLM2CLIP (model cards, `llm2clip/data/extract_eval_embedding.py`): `get_text_features` of the
LLM2Vec vectors, `get_image_features` of `CLIPImageProcessor.from_pretrained("openai/clip-vit-...")` pixels: the
OpenAI processor at the tower's size (shortest side, centre crop, bicubic, OpenAI mean/std), built here from the
CLIP config's `vision_config.image_size`. The CLIP weights are a pickled `pytorch_model.bin` in those repositories,
fetched only here, under the remote-code opt-in (transformers reads it with `weights_only`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image

from ....errors import CheckpointError, UnknownNameError
from ....provenance import ModelInfo
from ...core.hf_source import Source, resolve_source
from ...core.protocol import TextSpec, TokenBatch, Tower, cut_length
from ..transformers.images import processor_preprocess
from ..transformers.loading import check_complete, describe, first_line
from ..transformers.model import features, tower_tensors
from . import llm2vec_text
from .loading import REMOTE_FAMILIES, RemoteFamily

#: LLM2Vec's `max_length` in the authors' evaluation.
CONTEXT = 512
DEFAULT_LLM = "microsoft/LLM2CLIP-Llama-3-8B-Instruct-CC-Finetuned"


@dataclass
class LLM2CLIPModel:
    """The CLIP side's towers and the LLM2Vec text encoder behind the model protocol."""

    clip: torch.nn.Module
    llm: torch.nn.Module
    tokenizer: Any
    text_spec: TextSpec
    embed_dim: int
    provenance: ModelInfo
    preprocess: Callable[[Image.Image], torch.Tensor]
    context_length: int = CONTEXT

    def __post_init__(self) -> None:
        self.clip.eval()
        self.llm.eval()

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def device(self) -> torch.device:
        return next(self.clip.parameters()).device

    def to(self, device: str | torch.device) -> LLM2CLIPModel:
        self.clip.to(device)
        self.llm.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        """LLM2Vec's input at `max_length` = the context (or the shorter length the probe cuts at)."""
        return llm2vec_text.tokenize(self.tokenizer, texts, cut_length(context_length, self.context_length))

    @torch.no_grad()
    def encode_text(self, tokens: TokenBatch) -> torch.Tensor:
        vectors = llm2vec_text.encode(self.llm, tokens)
        weight = next(self.clip.parameters())
        return F.normalize(features(self.clip.get_text_features(vectors.to(weight.device, weight.dtype))).float(),
                           dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return F.normalize(features(self.clip.get_image_features(pixels.to(self.device))).float(), dim=-1)

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        """The CLIP side's tensors split as for any transformers model, and for the text tower the LLM's too."""
        out = tower_tensors(self.clip.state_dict(), tower)
        if tower == "text":
            out.update({f"llm.{key}": value for key, value in self.llm.state_dict().items()})
        return out


def llm_spec(source: Source) -> str:
    variant = source.variant
    if variant is None:
        if source.repo and source.repo.startswith("microsoft/LLM2CLIP-"):
            return DEFAULT_LLM
        raise UnknownNameError(f"{source.name}: name the LLM: #llm=ORG/REPO[@REVISION] or #llm=FOLDER")
    key, sep, value = variant.partition("=")
    if key != "llm" or not sep or not value:
        raise UnknownNameError(f"{source.name}: LLM2CLIP takes #llm=ORG/REPO[@REVISION] or #llm=FOLDER, not "
                               f"#{variant}")
    return value


def load_llm(spec: str, tf: Any) -> tuple[Source, torch.nn.Module, Any]:
    """The LLM's weights in transformers' LlamaModel (its repository's code is not run) and its tokenizer."""
    source = resolve_source(spec)
    model_type = source.config.get("model_type")
    if model_type != "llama":
        raise CheckpointError(f"{source.name}: LLM2CLIP's text side is a Llama (model_type 'llama'), found "
                              f"{model_type!r}")
    try:
        llm, loading = tf.LlamaModel.from_pretrained(source.folder, dtype=torch.float32, use_safetensors=True,
                                                     attn_implementation="sdpa", output_loading_info=True)
        tokenizer = tf.AutoTokenizer.from_pretrained(source.folder)
    except (OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{source.name}: transformers could not load it ({first_line(exc)})") from None
    check_complete(source, loading)
    llm2vec_text.check_tokenizer(tokenizer, source.name)
    return source, llm, tokenizer


def load_clip(source: Source, tf: Any) -> torch.nn.Module:
    try:
        clip, loading = tf.AutoModel.from_pretrained(source.folder, trust_remote_code=True, dtype=torch.float32,
                                                     output_loading_info=True)
    except (OSError, ValueError, RuntimeError, ImportError) as exc:
        raise CheckpointError(f"{source.name}: transformers could not load it ({first_line(exc)})") from None
    check_complete(source, loading)
    for method in ("get_text_features", "get_image_features"):
        if not callable(getattr(clip, method, None)):
            raise CheckpointError(f"{source.name}: {type(clip).__name__} has no {method} (not an LLM2CLIP model)")
    return clip


def image_size(source: Source, clip: torch.nn.Module) -> int:
    size = getattr(getattr(clip.config, "vision_config", None), "image_size", None)
    if not isinstance(size, int):
        raise CheckpointError(f"{source.name}: config.json has no vision_config.image_size")
    return size


def openai_preprocess(size: int, tf: Any) -> Callable[[Image.Image], torch.Tensor]:
    """`CLIPImageProcessor.from_pretrained("openai/clip-vit-*")` at `size`: its defaults are that config."""
    return processor_preprocess(tf.CLIPImageProcessor(size={"shortest_edge": size},
                                                      crop_size={"height": size, "width": size}))


def load(source: Source, tf: Any) -> LLM2CLIPModel:
    llm_source, llm, tokenizer = load_llm(llm_spec(source), tf)
    clip = load_clip(source, tf)
    end = tokenizer.convert_tokens_to_ids(llm2vec_text.END)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    spec = TextSpec(causal=False, pad_masked=True, pool="mean", pad_id=pad, eos_id=end)
    size = image_size(source, clip)
    info = ModelInfo(
        name=source.name, architecture=f"{type(clip).__name__} + bidirectional LlamaModel (LLM2Vec)",
        context_length=CONTEXT, pos_embed_kind=None, checkpoint=str(source.folder),
        source=f"{describe(source)}; text: LLM2Vec on {describe(replace(llm_source, remote_code=False))}, its code "
               "not run",
        backend="transformers-remote-code", revision=source.revision,
        tokenizer=(f"{type(tokenizer).__name__} of {llm_source.name}@{llm_source.revision or 'local'}: LLM2Vec "
                   f"(Llama 3 Instruct chat wrap, mean over the caption and {llm2vec_text.END}, left padding, at "
                   f"most {CONTEXT} tokens, trimmed per batch); images: OpenAI CLIPImageProcessor at {size} px"),
        text_spec=spec.to_dict())
    return LLM2CLIPModel(clip, llm, tokenizer, spec, embed_dim=_embed_dim(source, clip), provenance=info,
                         preprocess=openai_preprocess(size, tf))


def _embed_dim(source: Source, clip: torch.nn.Module) -> int:
    dim = getattr(clip.config, "projection_dim", None)
    if not isinstance(dim, int):
        raise CheckpointError(f"{source.name}: config.json has no projection_dim")
    return dim


REMOTE_FAMILIES.add("LLM2CLIPModel", RemoteFamily("LLM2CLIP (CLIP side, remote code) + an LLM2Vec Llama 3 text side",
                                                  load, files=("pytorch_model*.bin",)))
