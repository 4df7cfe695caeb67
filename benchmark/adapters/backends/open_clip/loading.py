"""The open_clip backend's names: `open_clip:ARCH[@TAG]`, `hf-hub:ORG/REPO`, `local-dir:PATH` and plain folders
holding an `open_clip_config.json`; `tagged_spec` makes a registry entry of an open_clip pretrained tag.

Every model is built with what its source says it was trained with: a tag's pretrained config (QuickGELU,
mean/std, interpolation, resize mode), or the `model_cfg`/`preprocess_cfg` of an `open_clip_config.json`; and the
tokenizer open_clip pairs with it (`open_clip.get_tokenizer`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import open_clip

from ....errors import CheckpointError, UnknownNameError
from ....file_hashes import sha256_file
from ...core.checkpoint_files import read_checkpoint
from ...core.registry import ModelSpec, register_folder, register_prefix
from .adapter import ClipAdapter
from .build import activation_named, load_weights, prepare_state, wrap
from .tokenizers import open_clip_tokenizer

#: The file that makes a folder (or a Hub repository) an open_clip model.
CONFIG_FILE = "open_clip_config.json"


def tagged_spec(name: str, arch: str, tag: str, description: str, licence: str) -> ModelSpec:
    """A registry entry for an open_clip pretrained tag: context and resolution read from open_clip's config, the
    weights file from the tag's Hub location (where open_clip downloads it)."""
    cfg = open_clip.get_model_config(arch)
    hub = open_clip.get_pretrained_cfg(arch, tag)["hf_hub"]
    return ModelSpec(name=name, description=description, architecture=arch,
                     context_length=cfg["text_cfg"].get("context_length", 77), licence=licence,
                     resolution=cfg["vision_cfg"]["image_size"], load_as=f"open_clip:{arch}@{tag}",
                     hf_repo=hub.rstrip("/"), hf_filename="open_clip_model.safetensors")


@register_prefix("open_clip")
def open_clip_model(spec: str, checkpoint: Path | None, trust_remote_code: bool = False) -> ClipAdapter:
    """`open_clip:ViT-B-16@openai` (open_clip downloads and caches) or `open_clip:ViT-B-16` + --checkpoint FILE.

    open_clip runs no code from a checkpoint, so `trust_remote_code` changes nothing here (nor in the resolvers
    below)."""
    arch, _, tag = spec.partition("@")
    if arch not in open_clip.list_models():
        raise UnknownNameError(f"open_clip has no architecture {arch!r} (see open_clip.list_models())")
    name = f"open_clip:{spec}"
    if checkpoint is not None:
        settings = tag_settings(open_clip.get_pretrained_cfg(arch, tag)) if tag else {}
        return _with_checkpoint(arch, name, checkpoint, settings)
    if not tag:
        raise UnknownNameError(f"{name}: give a pretrained tag (open_clip:{arch}@TAG) or --checkpoint FILE")
    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if not cfg:
        tags = ", ".join(t for a, t in open_clip.list_pretrained() if a == arch)
        raise UnknownNameError(f"open_clip has no pretrained tag {tag!r} for {arch} (known: {tags})")
    try:
        path = Path(open_clip.pretrained.download_pretrained(cfg))
        model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=str(path), **tag_settings(cfg))
    except (OSError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{name}: open_clip could not load the weights ({exc})") from None
    return wrap(model, preprocess, has_res=False, name=name,
                architecture=activation_named(arch, bool(cfg.get("quick_gelu"))),
                source=f"open_clip {arch}@{tag}", checkpoint=str(path), sha256=sha256_file(path),
                tokenizer=open_clip_tokenizer(arch))


@register_prefix("hf-hub")
def hf_hub_model(repo: str, checkpoint: Path | None, trust_remote_code: bool = False) -> ClipAdapter:
    """`hf-hub:ORG/REPO`: an open_clip model published with its `open_clip_config.json` (open_clip downloads)."""
    _no_checkpoint(f"hf-hub:{repo}", checkpoint)

    def weights() -> Path:
        return Path(open_clip.pretrained.download_pretrained_from_hf(repo))

    return _from_config(f"hf-hub:{repo}", architecture=repo, weights=weights)


@register_prefix("local-dir")
def local_dir_model(folder: str, checkpoint: Path | None, trust_remote_code: bool = False) -> ClipAdapter:
    """`local-dir:PATH`: a folder holding `open_clip_config.json` and the weights (open_clip's own layout)."""
    _no_checkpoint(f"local-dir:{folder}", checkpoint)
    return folder_model(Path(folder), None)


@register_folder(CONFIG_FILE)
def folder_model(folder: Path, checkpoint: Path | None, trust_remote_code: bool = False) -> ClipAdapter:
    _no_checkpoint(str(folder), checkpoint)
    if not (folder / CONFIG_FILE).is_file():
        raise UnknownNameError(f"{folder}: no {CONFIG_FILE} in this folder (expected an open_clip model folder)")
    found = open_clip.factory._find_checkpoint_in_dir(folder)
    if found is None:
        raise CheckpointError(f"{folder}: no weights file (.safetensors, .bin or .pth) beside {CONFIG_FILE}")
    return _from_config(f"local-dir:{folder}", architecture=folder.name, weights=lambda: Path(found))


def _from_config(source: str, architecture: str, weights) -> ClipAdapter:
    """Build from an open_clip config source; weights must load (open_clip would otherwise warn and go random)."""
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(source, require_pretrained=True)
        path = weights()
        tokenizer = open_clip_tokenizer(source)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{source}: open_clip could not load the model ({reason})") from None
    return wrap(model, preprocess, has_res=False, name=source, architecture=architecture,
                source=f"open_clip {source}", checkpoint=str(path), sha256=sha256_file(path), tokenizer=tokenizer)


@contextmanager
def _weights_follow() -> Iterator[None]:
    """open_clip warns "Model initialized randomly" when it builds an architecture without weights: misleading
    where the checkpoint's weights are loaded into it at once, so that one warning is left out."""
    def keep(record: logging.LogRecord) -> bool:
        return "initialized randomly" not in record.getMessage()
    root = logging.getLogger()  # open_clip logs through the root logger
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _no_checkpoint(name: str, checkpoint: Path | None) -> None:
    if checkpoint is not None:
        raise UnknownNameError(f"{name} carries its own weights: drop --checkpoint (or use open_clip:ARCH "
                               "--checkpoint FILE)")


def tag_settings(cfg: dict) -> dict:
    """The build arguments a pretrained tag's config implies: its activation and its image preprocessing.

    Passing the downloaded file instead of the tag skips open_clip's tag config entirely, and even with the tag
    open_clip only warns when the tag says QuickGELU and the architecture name does not (`ViT-B-32@openai`).
    """
    keys = {"mean": "image_mean", "std": "image_std", "interpolation": "image_interpolation",
            "resize_mode": "image_resize_mode"}
    return {"force_quick_gelu": bool(cfg.get("quick_gelu")),
            **{arg: cfg[key] for key, arg in keys.items() if cfg.get(key) is not None}}


def _with_checkpoint(arch: str, name: str, checkpoint: Path, settings: dict) -> ClipAdapter:
    """The architecture's own open_clip config (its activation included: open_clip-trained ViTs use GELU, not
    OpenAI's QuickGELU; a tag's settings where one is named) with the weights of a local file, read safely."""
    ckpt = read_checkpoint(checkpoint)
    state, has_res = prepare_state(ckpt.state_dict, str(ckpt.path))
    context = state["positional_embedding"].shape[0] if "positional_embedding" in state else None
    with _weights_follow():
        model, _, preprocess = open_clip.create_model_and_transforms(arch, force_context_length=context, **settings)
    load_weights(model, state, str(ckpt.path), arch)
    return wrap(model, preprocess, has_res=has_res, name=name,
                architecture=activation_named(arch, settings.get("force_quick_gelu", False)),
                source=f"{ckpt.container} loaded into open_clip {arch}", checkpoint=str(ckpt.path),
                sha256=ckpt.sha256, tokenizer=open_clip_tokenizer(arch))
