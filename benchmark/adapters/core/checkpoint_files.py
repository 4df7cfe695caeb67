"""Checkpoint files: safe reading, container and key-layout detection, architecture from tensor shapes.

Supported containers: a `torch.save`d state dict (OpenAI-style keys, Long-CLIP's `.pt`), an open_clip training
checkpoint (`{"state_dict": ..., "epoch": ...}`, keys possibly prefixed `module.`) and a safetensors file (found by
its content, whatever its suffix). Pickles are read with `weights_only=True`: no code in a file is executed.

OpenAI's original TorchScript archives are refused: they can carry code (open_clip stopped reading them for that
reason), and the same weights exist as safetensors, which the `clip-*` registry entries download. The container is
found from the file's first bytes, so random bytes, a zip that is not a PyTorch file and a renamed safetensors file
each get an accurate message; only a pickle that really calls a Python function is called code.
"""

from __future__ import annotations

import pickletools
import re
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...data.paths import require_regular_file
from ...errors import CheckpointError
from ...file_hashes import sha256_file
from ...lazy import torch

#: The one key layout checkpoint files are read in (OpenAI, open_clip and Long-CLIP keys): its name in
#: registry.STATE_DICTS, where the open_clip backend registers the builder.
CLIP_LAYOUT = "clip"
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
    "text.transformer.": "an open_clip CustomTextCLIP, whose architecture the file does not name: load it with "
                         "--model open_clip:ARCH --checkpoint FILE (ARCH as in open_clip.list_models())",
}
#: Width of one attention head in OpenAI-style towers: the head count is width // HEAD_WIDTH.
HEAD_WIDTH = 64
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
    #: 'state dict' | 'open_clip checkpoint' | 'safetensors'
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


def read_checkpoint(path: Path | str) -> Checkpoint:
    """Read a checkpoint file into a flat state dict of tensors, without executing anything in it."""
    path = Path(path)
    require_regular_file(path, "checkpoint", CheckpointError)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    kind = _sniff(path)
    if kind == "safetensors" or path.suffix == ".safetensors":
        state, container = _read_safetensors(path), "safetensors"
    elif kind == "zip":
        _check_torch_zip(path)
        state, container = _read_pickle(path)
    elif kind == "pickle":
        state, container = _read_pickle(path)
    else:
        raise CheckpointError(f"{path}: not a checkpoint: {kind} (expected a PyTorch file, which is a zip archive or a "
                              "pickle, or a safetensors file)")
    return Checkpoint(path, _strip_module_prefix(state), sha256_file(path), container)


def _sniff(path: Path) -> str:
    """'safetensors', 'zip', 'pickle', or a description of what the first bytes are instead."""
    with open(path, "rb") as fh:
        head = fh.read(9)
    if not head:
        return "the file is empty"
    if len(head) == 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] < path.stat().st_size:
        return "safetensors"  # an 8-byte little-endian header length, then the JSON header
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[0] == 0x80:  # the PROTO opcode every binary pickle starts with
        return "pickle"
    return f"it starts with {head[:8]!r}"


def _check_torch_zip(path: Path) -> None:
    """A zip is a PyTorch checkpoint when it holds `<name>/data.pkl`; with `<name>/code/` it is TorchScript."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint: a damaged zip archive "
                              f"({_first_line(exc)})") from None
    if any(re.match(r"[^/]+/code/", name) for name in names):
        raise CheckpointError(
            f"{path}: a TorchScript archive (OpenAI's original ViT-*.pt files are): refused, because TorchScript "
            "archives can carry code. Use the safetensors copy of the same weights: --model clip-B, clip-L or "
            "clip-B-32 (or open_clip:ViT-B-16@openai) downloads it")
    if not any(re.fullmatch(r"[^/]+/data\.pkl", name) for name in names):
        raise CheckpointError(f"{path}: a zip archive but not a PyTorch checkpoint (no <name>/data.pkl inside; "
                              f"it holds {', '.join(names[:3]) or 'nothing'})")


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a valid safetensors file ({_first_line(exc)})") from None


def _read_pickle(path: Path) -> tuple[dict[str, torch.Tensor], str]:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ... for bad files
        call = _pickled_call(path, str(exc))
        if call:
            raise CheckpointError(
                f"{path}: refused: the file holds code, pickled Python objects that would be executed on load "
                f"({call}); only plain tensors, dicts and numbers are read, and no setting turns this off"
            ) from None
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({_unpickler_reason(exc)})") from None
    container = "state dict"
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj, container = obj["state_dict"], "open_clip checkpoint"
    if not isinstance(obj, dict) or not obj:
        raise CheckpointError(f"{path}: expected a state dict (name -> tensor), found {type(obj).__name__}")
    tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise CheckpointError(f"{path}: expected a state dict of tensors, found no tensors")
    return tensors, container


#: How torch's weights-only reader names a global it refused, across versions: "Unsupported global: GLOBAL
#: posix.system" (2.4-2.6), "Trying to load unsupported GLOBAL posix.system whose module posix is blocked" (2.14).
_REFUSED_GLOBAL = re.compile(r"\bGLOBAL\s+([A-Za-z_][\w.]*)")
#: Its words for "this pickle holds objects other than tensors", when it names no global.
_REFUSED_OBJECTS = re.compile(r"weights.only load failed|WeightsUnpickler error|unsupported (?:global|operand|class)",
                              re.IGNORECASE)
#: Torch's advice to load with weights_only=False (which would run the code): never passed on.
_UNSAFE_ADVICE = re.compile(r"weights_only`? (?:set to|=) `?False|trusted source", re.IGNORECASE)


def _pickled_call(path: Path, error: str) -> str | None:
    """What a refused pickle would have called, if it calls anything: torch names the global it refused; a plain
    pickle (which torch's reader cannot even parse) is scanned opcode by opcode, nothing executed."""
    refused = _REFUSED_GLOBAL.search(error)
    if refused:
        return f"a call to {refused.group(1)}"
    if _REFUSED_OBJECTS.search(error):
        return "objects the weights-only reader does not allow"
    if zipfile.is_zipfile(path):
        return None
    try:
        with open(path, "rb") as fh:
            for opcode, arg, _ in pickletools.genops(fh):
                if opcode.name in ("GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE"):
                    return f"a {opcode.name} opcode" + (f" for {str(arg).replace(' ', '.')}" if arg else "")
    except Exception:  # noqa: BLE001 -- a damaged stream is simply not a call
        return None
    return None


def _unpickler_reason(exc: BaseException) -> str:
    """The useful line of torch's multi-paragraph message (never its advice to turn the safety off)."""
    detail = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", str(exc))
    if detail:
        return detail.group(1).strip()
    lines = [line.strip() for line in str(exc).splitlines() if line.strip() and not _UNSAFE_ADVICE.search(line)]
    return lines[0] if lines else type(exc).__name__


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


def check_keys(found: Iterable[str], expected: Iterable[str], source: str, layout: str,
               ignored: Iterable[str] = ()) -> None:
    """Refuse, in one line, a state dict whose keys are not `expected` (`ignored` ones may be there too), naming the
    missing and the unexpected tensors."""
    found, expected = set(found), set(expected)
    missing = sorted(expected - found)
    unexpected = sorted(found - expected - set(ignored))
    problems = [f"{label} {len(keys)} tensor(s): {', '.join(keys[:4])}{', ...' if len(keys) > 4 else ''}"
                for label, keys in (("missing", missing), ("unexpected", unexpected)) if keys]
    if problems:
        raise CheckpointError(f"{source}: not {layout}: {'; '.join(problems)}")


def load_tensors(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Every tensor of `module` from `state` (same keys, as float32), refusing wrong shapes in one line."""
    own = module.state_dict()
    wrong = [f"{k} {tuple(v.shape)} (expected {tuple(own[k].shape)})" for k, v in state.items()
             if k in own and v.shape != own[k].shape]
    if wrong:
        raise CheckpointError(f"{source}: tensor shapes do not fit: {', '.join(wrong[:3])}")
    module.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)


def infer_architecture(state: dict[str, torch.Tensor], source: str) -> Architecture:
    """Read the architecture from tensor shapes (head counts follow OpenAI's width // 64 convention)."""
    check_layout(state, source)
    try:
        text_width = state["token_embedding.weight"].shape[1]
        vision_width, _, patch, _ = state["visual.conv1.weight"].shape
        grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        arch = Architecture(
            embed_dim=state["text_projection"].shape[1],
            vision_width=vision_width,
            vision_layers=_count_blocks(state, "visual.transformer.resblocks."),
            patch_size=patch,
            image_size=patch * grid,
            vision_mlp_ratio=state["visual.transformer.resblocks.0.mlp.c_fc.weight"].shape[0] / vision_width,
            text_width=text_width,
            text_layers=_count_blocks(state, "transformer.resblocks."),
            text_heads=max(1, text_width // HEAD_WIDTH),
            text_mlp_ratio=state["transformer.resblocks.0.mlp.c_fc.weight"].shape[0] / text_width,
            context_length=state["positional_embedding"].shape[0],
            vocab_size=state["token_embedding.weight"].shape[0],
        )
    except (KeyError, ValueError, IndexError) as exc:
        raise CheckpointError(f"{source}: tensor shapes do not describe a CLIP ViT ({_first_line(exc)})") from None
    # Head counts are not stored in a state dict: the image tower gets width // 64 heads (OpenAI's convention), which
    # is 0 below 64 (open_clip then fails deep inside torch) and not the trained count for other non-multiples.
    if arch.vision_width % HEAD_WIDTH:
        raise CheckpointError(
            f"{source}: vision width {arch.vision_width} is not a multiple of {HEAD_WIDTH}, so its attention head "
            "count cannot be read from the file (OpenAI-style towers use 64-wide heads); if open_clip has its "
            "architecture, load it with --model open_clip:ARCH --checkpoint FILE")
    return arch


def _count_blocks(state: dict[str, torch.Tensor], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    return len({m.group(1) for k in state if (m := pattern.match(k))})


def _sample(state: dict[str, torch.Tensor], prefix: str = "") -> str:
    keys = [k for k in state if k.startswith(prefix)][:3]
    return ", ".join(keys)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
