"""Checkpoint files: safe reading, container and key-layout detection, architecture from tensor shapes.

Supported containers: a `torch.save`d state dict (OpenAI-style keys, Long-CLIP's `.pt`), an open_clip training
checkpoint (`{"state_dict": ..., "epoch": ...}`, keys possibly prefixed `module.`), a `.safetensors` file, and
OpenAI's original TorchScript archives. Pickles are read with `weights_only=True`: no code in a file is executed.
"""

from __future__ import annotations

import hashlib
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import CheckpointError

#: Keys every CLIP-style ViT checkpoint has, whatever its container.
REQUIRED_KEYS = (
    "token_embedding.weight",
    "positional_embedding",
    "text_projection",
    "ln_final.weight",
    "transformer.resblocks.0.attn.in_proj_weight",
    "visual.conv1.weight",
    "visual.class_embedding",
    "visual.positional_embedding",
    "visual.proj",
)
#: Key prefixes of layouts we recognise but do not load, with what to say about them.
FOREIGN_LAYOUTS = {
    "text_model.": "a Hugging Face transformers CLIPModel (convert it to the OpenAI/open_clip layout)",
    "visual.layer1.": "a ResNet image tower (only ViT towers are supported)",
    "text.transformer.": "an open_clip CustomTextCLIP (only the OpenAI text tower layout is supported)",
}
#: Published architectures, to name a checkpoint by its shapes.
KNOWN_ARCHITECTURES = {
    (768, 12, 16, 224, 512, 12): "ViT-B-16",
    (768, 12, 32, 224, 512, 12): "ViT-B-32",
    (1024, 24, 14, 224, 768, 12): "ViT-L-14",
    (1024, 24, 14, 336, 768, 12): "ViT-L-14-336",
}


@dataclass
class Checkpoint:
    path: Path
    state_dict: dict[str, torch.Tensor]
    sha256: str
    #: 'state dict' | 'open_clip checkpoint' | 'safetensors' | 'torchscript'
    container: str


@dataclass(frozen=True)
class Architecture:
    embed_dim: int
    vision_width: int
    vision_layers: int
    patch_size: int
    image_size: int
    vision_mlp_ratio: float
    text_width: int
    text_layers: int
    text_heads: int
    text_mlp_ratio: float
    context_length: int
    vocab_size: int

    @property
    def name(self) -> str:
        key = (self.vision_width, self.vision_layers, self.patch_size, self.image_size, self.text_width,
               self.text_layers)
        known = KNOWN_ARCHITECTURES.get(key)
        if known:
            return known
        return (f"ViT-custom(v{self.vision_width}x{self.vision_layers}/p{self.patch_size}@{self.image_size},"
                f"t{self.text_width}x{self.text_layers},e{self.embed_dim})")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_checkpoint(path: Path | str) -> Checkpoint:
    """Read a checkpoint file into a flat state dict of tensors, without executing anything in it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        state, container = _read_safetensors(path), "safetensors"
    elif _is_torchscript(path):
        state, container = _read_torchscript(path), "torchscript"
    else:
        state, container = _read_pickle(path)
    return Checkpoint(path, _strip_module_prefix(state), sha256_file(path), container)


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a valid safetensors file ({_first_line(exc)})") from None


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(re.match(r"[^/]+/code/", name) for name in zf.namelist())


def _read_torchscript(path: Path) -> dict[str, torch.Tensor]:
    # OpenAI's original ViT-*.pt files are TorchScript archives. torch.jit.load uses TorchScript's own
    # deserializer (no Python pickle globals); the module is only used for its tensors and is never run.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch marks jit.load deprecated; the files remain
            return dict(torch.jit.load(str(path), map_location="cpu").state_dict())
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: corrupt TorchScript archive ({_first_line(exc)})") from None


def _read_pickle(path: Path) -> tuple[dict[str, torch.Tensor], str]:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ... for bad files
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            raise CheckpointError(
                f"{path}: refused: the file contains pickled Python objects that would be executed on load "
                "(only plain tensors, dicts and numbers are read)"
            ) from None
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({_first_line(exc)})") from None
    container = "state dict"
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj, container = obj["state_dict"], "open_clip checkpoint"
    if not isinstance(obj, dict) or not obj:
        raise CheckpointError(f"{path}: expected a state dict (name -> tensor), found {type(obj).__name__}")
    tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise CheckpointError(f"{path}: expected a state dict of tensors, found no tensors")
    return tensors, container


def _strip_module_prefix(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """DistributedDataParallel saves keys as `module.<name>`; open_clip training checkpoints keep that."""
    if state and all(k.startswith("module.") for k in state):
        return {k[len("module."):]: v for k, v in state.items()}
    return state


def check_layout(state: dict[str, torch.Tensor], source: str) -> None:
    """Fail with a message naming what was expected and what was found unless `state` is a CLIP ViT layout."""
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if not missing:
        return
    for prefix, what in FOREIGN_LAYOUTS.items():
        if any(k.startswith(prefix) for k in state):
            raise CheckpointError(f"{source}: this looks like {what}; found keys such as {_sample(state, prefix)}")
    raise CheckpointError(
        f"{source}: not a CLIP checkpoint: expected OpenAI/open_clip/Long-CLIP keys "
        f"({', '.join(REQUIRED_KEYS[:3])}, ...), missing {', '.join(missing[:3])}; found {len(state)} tensors "
        f"such as {_sample(state)}"
    )


def infer_architecture(state: dict[str, torch.Tensor], source: str) -> Architecture:
    """Read the architecture from tensor shapes (head counts follow OpenAI's width // 64 convention)."""
    check_layout(state, source)
    try:
        text_width = state["token_embedding.weight"].shape[1]
        vision_width, _, patch, _ = state["visual.conv1.weight"].shape
        grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        return Architecture(
            embed_dim=state["text_projection"].shape[1],
            vision_width=vision_width,
            vision_layers=_count_blocks(state, "visual.transformer.resblocks."),
            patch_size=patch,
            image_size=patch * grid,
            vision_mlp_ratio=state["visual.transformer.resblocks.0.mlp.c_fc.weight"].shape[0] / vision_width,
            text_width=text_width,
            text_layers=_count_blocks(state, "transformer.resblocks."),
            text_heads=max(1, text_width // 64),
            text_mlp_ratio=state["transformer.resblocks.0.mlp.c_fc.weight"].shape[0] / text_width,
            context_length=state["positional_embedding"].shape[0],
            vocab_size=state["token_embedding.weight"].shape[0],
        )
    except (KeyError, ValueError, IndexError) as exc:
        raise CheckpointError(f"{source}: tensor shapes do not describe a CLIP ViT ({_first_line(exc)})") from None


def _count_blocks(state: dict[str, torch.Tensor], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    return len({m.group(1) for k in state if (m := pattern.match(k))})


def _sample(state: dict[str, torch.Tensor], prefix: str = "") -> str:
    keys = [k for k in state if k.startswith(prefix)][:3]
    return ", ".join(keys)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
