"""`load_model`: one call from a model name and/or a checkpoint file to a ready ImageTextModel."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ...errors import CheckpointError, UnknownNameError
from .checkpoint_files import CLIP_LAYOUT, read_checkpoint
from .protocol import ImageTextModel
from .registry import FOLDERS, MODELS, PREFIXES, STATE_DICTS, ModelSpec, folder_resolver
from .weights import resolve_weights


def load_model(name: str | None = None, checkpoint: Path | str | None = None, *,
               label: str | None = None, trust_remote_code: bool = False) -> ImageTextModel:
    """Resolve weights in order: `checkpoint`, the local weights folder, the Hugging Face Hub.

    `name` is a registry name (`longclip-B`), a prefixed name (`open_clip:ViT-B-16@openai`, `hf-hub:ORG/REPO`,
    `local-dir:PATH`, `hf:ORG/REPO`, `stretched:clip-B`), a model folder (see `register_folder`) or None with a
    checkpoint (the file's stem becomes the model name; its format is detected). `label`, when given, is the name
    the model's results are filed under instead. `trust_remote_code` lets a pinned `hf:` checkpoint run its
    repository's code (adapters/backends/remote/); no other backend runs code from a checkpoint.
    """
    adapter = _load(name, checkpoint, trust_remote_code)
    if label:
        adapter.provenance = replace(adapter.provenance, name=label)
    return adapter


def _load(name: str | None, checkpoint: Path | str | None, trust_remote_code: bool) -> ImageTextModel:
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if not name:
        if ckpt is None:
            raise UnknownNameError("give a model name (--model) or a checkpoint file (--checkpoint)")
        return load_checkpoint(ckpt, name=ckpt.stem, named=False)
    if Path(name).is_dir():
        return _load_folder(Path(name), ckpt, trust_remote_code)
    prefix, sep, rest = name.partition(":")
    if sep:
        return PREFIXES.get(prefix)(rest, ckpt, trust_remote_code=trust_remote_code)
    return _load_spec(MODELS.get(name), ckpt, trust_remote_code)


def _load_spec(spec: ModelSpec, checkpoint: Path | None, trust_remote_code: bool) -> ImageTextModel:
    """A registry model, filed under its registry name, with its licence in the provenance."""
    if spec.unavailable:
        raise CheckpointError(f"{spec.name} cannot be loaded: {spec.unavailable}")
    if spec.build and checkpoint is None:
        model = spec.build(spec)
    elif spec.load_as:
        model = _load(spec.load_as, checkpoint, trust_remote_code)
    elif spec.load_file_as:
        model = _load(spec.load_file_as, checkpoint or _weights_file(spec), trust_remote_code)
    elif checkpoint is not None:
        model = load_checkpoint(checkpoint, name=spec.name)
    else:
        model = load_checkpoint(_weights_file(spec), name=spec.name)
    model.provenance = replace(model.provenance, name=spec.name, licence=spec.licence or model.provenance.licence)
    return model


def _weights_file(spec: ModelSpec) -> Path:
    return resolve_weights(spec.name, spec.local_filename or f"{spec.name}.pt", spec.hf_repo, spec.hf_filename,
                           spec.revision)


def _load_folder(folder: Path, checkpoint: Path | None, trust_remote_code: bool) -> ImageTextModel:
    resolver = folder_resolver(folder)
    if resolver is None:
        raise UnknownNameError(f"{folder}: a folder, but not a model folder (expected one of these files in it: "
                               f"{', '.join(FOLDERS)})")
    return resolver(folder, checkpoint, trust_remote_code=trust_remote_code)


def load_checkpoint(path: Path, name: str, named: bool = True) -> ImageTextModel:
    """Any supported checkpoint file, format and architecture detected from its contents.

    `named`: a model name said what the file is. Without one, an open_clip training checkpoint is refused: open_clip
    trains most ViTs with GELU, OpenAI's and Long-CLIP's with QuickGELU, and the file does not say which, so loading
    it as OpenAI-style could silently give other numbers.
    """
    ckpt = read_checkpoint(path)
    if not named and ckpt.container == "open_clip checkpoint":
        raise CheckpointError(
            f"{path}: an open_clip training checkpoint, which does not record its activation (GELU or QuickGELU): "
            "name its architecture with --model open_clip:ARCH --checkpoint FILE (e.g. open_clip:ViT-B-16, or "
            "open_clip:ViT-B-16-quickgelu for a fine-tune of OpenAI's weights)")
    return STATE_DICTS.get(CLIP_LAYOUT)(ckpt.state_dict, name=name, source=ckpt.container, checkpoint=str(ckpt.path),
                                        sha256=ckpt.sha256)
