"""`load_model`: one call from a model name and/or a checkpoint file to a ready ImageTextModel."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import UnknownNameError
from .base import ClipAdapter
from .build import adapter_from_state_dict
from .formats import read_checkpoint
from .protocol import ImageTextModel
from .registry import MODELS, PREFIXES, register_prefix
from .stretch import stretch_state_dict
from .weights import resolve_weights


def load_model(name: str | None = None, checkpoint: Path | str | None = None, *,
               label: str | None = None) -> ImageTextModel:
    """Resolve weights in order: `checkpoint`, the local weights folder, the Hugging Face Hub.

    `name` is a registry name (`longclip-B`), a prefixed name (`open_clip:ViT-B-16@openai`, `stretched:clip-B`) or
    None with a checkpoint (the file's stem becomes the model name; its format is detected). `label`, when given,
    is the name the model's results are filed under instead.
    """
    adapter = _load(name, checkpoint)
    if label:
        adapter.provenance = replace(adapter.provenance, name=label)
    return adapter


def _load(name: str | None, checkpoint: Path | str | None) -> ImageTextModel:
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if not name:
        if ckpt is None:
            raise UnknownNameError("give a model name (--model) or a checkpoint file (--checkpoint)")
        return load_checkpoint(ckpt, name=ckpt.stem)
    prefix, sep, rest = name.partition(":")
    if sep:
        return PREFIXES.get(prefix)(rest, ckpt)
    spec = MODELS.get(name)
    if ckpt is not None:
        return load_checkpoint(ckpt, name=name)
    if spec.build:
        return spec.build(spec)
    path = resolve_weights(name, spec.local_filename or f"{name}.pt", spec.hf_repo, spec.hf_filename)
    return load_checkpoint(path, name=name)


def load_checkpoint(path: Path, name: str) -> ImageTextModel:
    """Any supported checkpoint file, format and architecture detected from its contents."""
    ckpt = read_checkpoint(path)
    return adapter_from_state_dict(ckpt.state_dict, name=name, source=ckpt.container, checkpoint=str(ckpt.path),
                                   sha256=ckpt.sha256)


def stretched_state_dict(base: str, checkpoint: Path | None, method: str = "kps", keep: int = 20,
                         ratio: int = 4) -> tuple[dict, ClipAdapter]:
    """The Long-CLIP-format state dict of `base` stretched, and the base adapter it came from."""
    adapter = load_model(base, checkpoint)
    state = {k: v.detach().cpu() for k, v in adapter.model.state_dict().items()}
    return stretch_state_dict(state, method, keep, ratio), adapter


def _stretched(method: str):
    def resolve(base: str, checkpoint: Path | None) -> ImageTextModel:
        state, adapter = stretched_state_dict(base, checkpoint, method)
        prov = adapter.provenance
        return adapter_from_state_dict(state, name=f"stretched{'' if method == 'kps' else '-' + method}:{base}",
                                       source=f"{method} stretch of {prov.name} on the fly",
                                       checkpoint=prov.checkpoint, sha256=prov.checkpoint_sha256)
    return resolve


register_prefix("stretched")(_stretched("kps"))
register_prefix("stretched-linear")(_stretched("linear"))
