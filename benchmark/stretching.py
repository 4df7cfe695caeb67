"""`stretch`: write a freshly stretched checkpoint in the Long-CLIP format, loadable like any Long-CLIP file."""

from __future__ import annotations

from pathlib import Path

import torch

from .adapters.backends.open_clip.stretched import stretched_state_dict
from .adapters.core.stretch import METHODS
from .artifacts.atomic import atomic_open
from .artifacts.outputs import check_output_file
from .errors import DataError, NonFiniteError


def save_state_dict(state: dict[str, torch.Tensor], out: Path) -> Path:
    """`.safetensors` by suffix, else a plain `torch.save` of the state dict (Long-CLIP's own format).

    Written to a temp file and renamed, so an interrupted write never leaves a truncated checkpoint.
    """
    out = Path(out)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    bad = next((k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()), None)
    if bad is not None:
        raise NonFiniteError(f"{bad} holds NaN/Inf ({_tower(bad)}); a broken checkpoint is not written to {out}")
    with atomic_open(out, "wb") as fh:
        if out.suffix == ".safetensors":
            from safetensors.torch import save

            fh.write(save(tensors))
        else:
            torch.save(tensors, fh)
    return out


def _tower(key: str) -> str:
    return "image tower" if key.startswith("visual.") else "text tower" if key != "logit_scale" else "logit scale"


def stretch_checkpoint(model: str | None, checkpoint: Path | None, out: Path, method: str = "kps", keep: int = 20,
                       ratio: int = 4) -> Path:
    """Stretch the 77-row table of `model`/`checkpoint` and save it as a Long-CLIP state dict (PE == PE_res)."""
    if method not in METHODS:
        raise DataError(f"unknown stretch method {method!r} (expected one of {', '.join(METHODS)})")
    check_output_file(out, "--out")
    try:
        state, _ = stretched_state_dict(model, checkpoint, method, keep, ratio)
    except ValueError as exc:
        raise DataError(f"cannot stretch {model or checkpoint}: {exc}") from None
    return save_state_dict(state, out)
