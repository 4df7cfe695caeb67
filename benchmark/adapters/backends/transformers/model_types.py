"""The checkpoints the transformers backend loads without running their code, by the config's `model_type`: `clip`
(OpenAI-style CLIPModel, incl. 248-token Long-CLIP conversions), `siglip` (SigLIP and fixed-resolution SigLIP 2),
`siglip2` (NaFlex) and `metaclip_2`. Each says its model class, its text tower's rules and its checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from ....errors import CheckpointError
from ....registry import Registry
from ...core.hf_source import Source
from ...core.protocol import TextSpec
from ...core.stretch import detect_stretch
from .images import naflex_image, naflex_preprocess, processor_preprocess
from .model import default_image
from .tokens import Template


@dataclass(frozen=True)
class Family:
    """How one `model_type` is loaded and read."""

    model_class: str
    #: (config, template, tokenizer) -> the text tower's rules.
    text_spec: Callable[[Any, Template, Any], TextSpec]
    #: Checks on the config and files before loading (may adjust the config; warns about known bad conversions).
    prepare: Callable[[Source, Any], None] = lambda source, config: None
    #: Checks on the loaded model.
    inspect: Callable[[Source, torch.nn.Module], None] = lambda source, model: None
    #: image processor -> per-image preprocess, and (model, pixels) -> image features.
    preprocess_from: Callable[[Any], Callable[[Image.Image], torch.Tensor]] = processor_preprocess
    image_features: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor] = default_image


FAMILIES: Registry[Family] = Registry("transformers model type")


def _end_id(template: Template, source_name: str) -> int:
    if not template.suffix:
        raise CheckpointError(f"{source_name}: the tokenizer adds no end token, but the model pools at one")
    return template.suffix[-1]


def _pad_id(tokenizer, fallback: int) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else fallback


def _clip_spec(config, template: Template, tokenizer) -> TextSpec:
    text = config.text_config
    end = _end_id(template, "CLIPModel")
    if text.eos_token_id == 2:
        # transformers keeps the legacy rule for such configs: pool at input_ids.argmax(-1), right only when the
        # end token is the largest id (CLIP BPE's <|endoftext|>).
        if end != text.vocab_size - 1:
            raise CheckpointError(f"CLIPModel pools at the largest id ({text.vocab_size - 1}) but the tokenizer's "
                                  f"end token is {end}")
        pool = "eot_argmax"
    else:
        if end != text.eos_token_id:
            raise CheckpointError(f"CLIPModel pools at eos_token_id {text.eos_token_id} but the tokenizer's end "
                                  f"token is {end}")
        pool = "eos_id"
    return TextSpec(causal=True, pad_masked=False, pool=pool, pad_id=_pad_id(tokenizer, end), eos_id=end)


def _metaclip2_spec(config, template: Template, tokenizer) -> TextSpec:
    eos = config.text_config.eos_token_id
    if eos not in template.suffix:
        raise CheckpointError(f"MetaClip2Model pools at the first eos_token_id {eos}, which the tokenizer does not "
                              f"add (it adds {list(template.suffix)})")
    return TextSpec(causal=True, pad_masked=False, pool="eos_id", pad_id=_pad_id(tokenizer, eos), eos_id=eos)


def _siglip_spec(config, template: Template, tokenizer) -> TextSpec:
    # Bidirectional, no padding mask, read at the last position: only the trained length gives the trained output.
    length = config.text_config.max_position_embeddings
    pad = _pad_id(tokenizer, template.suffix[-1] if template.suffix else 0)
    return TextSpec(causal=False, pad_masked=False, pool="last", pad_id=pad,
                    eos_id=template.suffix[-1] if template.suffix else None, fixed_length=length)


POSITION_KEY = "text_model.embeddings.position_embedding.weight"


def weights_rows(folder: Path, key: str = POSITION_KEY) -> int | None:
    """Rows of one tensor, read from the safetensors headers only (None when no file holds it)."""
    from safetensors import safe_open

    for path in sorted(folder.glob("model*.safetensors")):
        with safe_open(str(path), framework="pt") as fh:
            if key in set(fh.keys()):
                return int(fh.get_slice(key).get_shape()[0])
    return None


def _clip_prepare(source: Source, config) -> None:
    """Early revisions of the Long-CLIP conversions have no `max_position_embeddings: 248`: their config builds 77
    rows for 248-row weights. The weights decide (with a warning)."""
    text = config.text_config
    rows = weights_rows(source.folder)
    if rows is not None and rows != text.max_position_embeddings:
        warnings.warn(f"{source.name}: config.json says max_position_embeddings={text.max_position_embeddings} but "
                      f"the weights hold {rows} positions (an early revision of a Long-CLIP conversion?); using "
                      f"{rows}: pin a revision whose config says {rows}", stacklevel=2)
        text.max_position_embeddings = rows


def _clip_inspect(source: Source, model) -> None:
    """Long-CLIP reads positions 20+ from its second table; a conversion that kept only the first one holds an
    exact stretch of a 77-row table (never fine-tuned), which detect_stretch recognises."""
    table = model.text_model.embeddings.position_embedding.weight.detach().cpu()
    method = detect_stretch(table)
    if table.shape[0] > 77 and method:
        warnings.warn(f"{source.name}: the {table.shape[0]}-row position table is an exact {method} stretch of a "
                      "77-row table: an un-fine-tuned stretch, or a Long-CLIP conversion that dropped "
                      "positional_embedding_res (positions 20+ are then not Long-CLIP's)", stacklevel=2)


FAMILIES.add("clip", Family("CLIPModel", _clip_spec, _clip_prepare, _clip_inspect))
FAMILIES.add("siglip", Family("SiglipModel", _siglip_spec))
FAMILIES.add("siglip2", Family("Siglip2Model", _siglip_spec, preprocess_from=naflex_preprocess,
                               image_features=naflex_image))
FAMILIES.add("metaclip_2", Family("MetaClip2Model", _metaclip2_spec))
