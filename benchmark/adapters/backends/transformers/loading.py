"""The transformers backend's names: `hf:ORG/REPO[@REVISION]` or `hf:FOLDER` (a folder holding a transformers
config.json), loaded as an `HFModel` (model.py).

Checkpoints of a known `model_type` (model_types.py) load without running any code they carry
(`trust_remote_code=False`); those that need their own code go to the loader registered in CODE_LOADERS (the
remote-code backend, opt-in and pinned). The adapter owns tokenization (tokens.py): the length is the model's
position table, never the tokenizer's `model_max_length`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ....errors import CheckpointError, MissingDependencyError, UnknownNameError
from ....provenance import ModelInfo
from ....registry import Registry
from ...core.hf_source import Source, resolve_source, split_name
from ...core.protocol import ImageTextModel
from ...core.registry import register_folder, register_prefix
from ...core.stretch import pos_embed_kind
from .images import processor_preprocess
from .model import HFModel, default_image, default_text
from .model_types import FAMILIES
from .tokens import Template, tokenizer_description

INSTALL_HINT = 'pip install "longbench[hf]"'
#: (spec, source, raw config, trust_remote_code) -> the model: for checkpoints this backend cannot read without
#: running their code (an `auto_map`, or a `model_type` not in FAMILIES).
CodeLoader = Callable[[str, Source, dict[str, Any], bool], ImageTextModel]
#: The loader of such checkpoints, under REMOTE_CODE: the remote-code backend registers itself here, so that this
#: backend never imports it.
CODE_LOADERS: Registry[CodeLoader] = Registry("loader of checkpoints that run their own code")
REMOTE_CODE = "remote code"


def transformers():
    """The transformers module, or a one-line error saying how to install it."""
    try:
        import transformers as tf
    except ImportError:
        raise MissingDependencyError(f"hf: models need the transformers package: {INSTALL_HINT}") from None
    return tf


def load_hf(spec: str, checkpoint: Path | None = None, *, trust_remote_code: bool = False) -> HFModel:
    """`hf:` names: a transformers checkpoint of a known family, loaded without running any code it carries;
    checkpoints that need their own code go to CODE_LOADERS (the remote-code backend: opt-in, pinned)."""
    if checkpoint is not None:
        raise UnknownNameError(f"hf:{spec}: --checkpoint does not apply to hf: models (the folder or repo is the "
                               "checkpoint)")
    tf = transformers()
    source = resolve_source(spec)
    raw = source.config
    model_type = raw.get("model_type")
    if "auto_map" in raw or model_type not in FAMILIES:
        return CODE_LOADERS.get(REMOTE_CODE)(spec, source, raw, trust_remote_code)
    if source.repo is None and split_name(spec)[1]:
        raise UnknownNameError(f"{source.name}: a local folder has no revision (@... pins remote code only)")
    family = FAMILIES.get(model_type)
    config = tf.AutoConfig.from_pretrained(source.folder, trust_remote_code=False)
    family.prepare(source, config)
    return build(source, family.model_class, config, family.text_spec, tf, inspect=family.inspect,
                 preprocess_from=family.preprocess_from, image_features=family.image_features)


def build(source: Source, model_class: str, config, text_spec, tf, *, inspect=None, context_length: int | None = None,
          preprocess_from=processor_preprocess, text_features=default_text, image_features=default_image,
          normalise: Callable[[str], str] | None = None) -> HFModel:
    """Model, tokenizer and image processor from one folder, read the family's way."""
    folder, trust_remote_code = source.folder, source.remote_code
    try:
        model, loading = _model_class(tf, model_class).from_pretrained(
            folder, config=config, use_safetensors=True, trust_remote_code=trust_remote_code,
            dtype=torch.float32, output_loading_info=True)
        tokenizer = tf.AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
        processor = tf.AutoImageProcessor.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{source.name}: transformers could not load it ({first_line(exc)})") from None
    check_complete(source, loading)
    if inspect:
        inspect(source, model)
    template = Template.of(tokenizer)
    spec = text_spec(config, template, tokenizer)
    length = context_length or config.text_config.max_position_embeddings
    info = ModelInfo(name=source.name, architecture=model_class, context_length=length,
                     pos_embed_kind=_pos_kind(model, length),
                     checkpoint=str(folder), source=describe(source),
                     backend="transformers-remote-code" if source.remote_code else "transformers",
                     revision=source.revision,
                     tokenizer=tokenizer_description(tokenizer, template, spec, length, normalise),
                     text_spec=spec.to_dict())
    return HFModel(model, tokenizer, template, spec, length, _embed_dim(config), info, preprocess_from(processor),
                   text_features, image_features, normalise)


def _pos_kind(model, length: int) -> str:
    """For CLIP-style towers the table's kind read from its values (core/stretch.py); otherwise customN."""
    table = getattr(getattr(getattr(model, "text_model", None), "embeddings", None), "position_embedding", None)
    if isinstance(table, torch.nn.Embedding):
        return pos_embed_kind(table.weight.detach().cpu(), has_res=False)
    return f"custom{length}"


def _model_class(tf, name: str):
    cls = getattr(tf, name, None)
    if cls is None:
        raise MissingDependencyError(f"transformers {tf.__version__} has no {name}: pip install -U transformers")
    return cls


def check_complete(source: Source, loading: dict[str, Any]) -> None:
    """transformers initialises missing tensors at random and only reports it: a number from such a model would be
    noise, so it is refused (as the strict state-dict loaders elsewhere do)."""
    missing = sorted(loading.get("missing_keys") or [])
    mismatched = loading.get("mismatched_keys") or []
    if missing or mismatched:
        first = missing[0] if missing else str(mismatched[0])
        raise CheckpointError(f"{source.name}: the weights do not cover the model: {len(missing)} missing, "
                              f"{len(mismatched)} of the wrong shape (first: {first})")


def _embed_dim(config) -> int:
    return int(getattr(config, "projection_dim", None) or getattr(config.text_config, "projection_size", None)
               or config.text_config.hidden_size)


def describe(source: Source) -> str:
    where = (f"https://huggingface.co/{source.repo} at {source.revision}" if source.repo
             else f"local folder {source.folder}")
    code = f", its own code run (--trust-remote-code, pinned {source.revision})" if source.remote_code else ""
    return f"transformers, {where}{code}"


def first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


register_prefix("hf")(load_hf)


@register_folder("config.json")
def load_hf_folder(folder: Path, checkpoint: Path | None = None, *, trust_remote_code: bool = False) -> HFModel:
    """A plain folder path holding a transformers config.json (open_clip folders are matched first)."""
    return load_hf(str(folder), checkpoint, trust_remote_code=trust_remote_code)
