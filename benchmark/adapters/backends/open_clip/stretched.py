"""`stretched:NAME` and `stretched-linear:NAME`: an open_clip model's 77-row positional table stretched on the fly
(core/stretch.py), loaded as a Long-CLIP-format checkpoint; `longbench stretch` writes the same state dict to a file.
"""

from __future__ import annotations

from pathlib import Path

from ...core.loading import load_model
from ...core.protocol import ImageTextModel
from ...core.registry import register_prefix
from ...core.stretch import stretch_state_dict
from .adapter import ClipAdapter
from .build import adapter_from_state_dict


def stretched_state_dict(base: str, checkpoint: Path | None, method: str = "kps", keep: int = 20,
                         ratio: int = 4, trust_remote_code: bool = False) -> tuple[dict, ClipAdapter]:
    """The Long-CLIP-format state dict of `base` stretched, and the base adapter it came from."""
    adapter = load_model(base, checkpoint, trust_remote_code=trust_remote_code)
    state = {k: v.detach().cpu() for k, v in adapter.model.state_dict().items()}
    return stretch_state_dict(state, method, keep, ratio), adapter


def _stretched(method: str):
    def resolve(base: str, checkpoint: Path | None, trust_remote_code: bool = False) -> ImageTextModel:
        state, adapter = stretched_state_dict(base, checkpoint, method, trust_remote_code=trust_remote_code)
        prov = adapter.provenance
        return adapter_from_state_dict(state, name=f"stretched{'' if method == 'kps' else '-' + method}:{base}",
                                       source=f"{method} stretch of {prov.name} on the fly",
                                       checkpoint=prov.checkpoint, sha256=prov.checkpoint_sha256)
    return resolve


register_prefix("stretched")(_stretched("kps"))
register_prefix("stretched-linear")(_stretched("linear"))
