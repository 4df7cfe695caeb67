"""Tiny randomly initialised CLIP-architecture models, for the demo and the tests (no download, chance-level).

`tiny-clip` has a 77-row table; `tiny-longclip` is a Long-CLIP-format model whose `positional_embedding_res`
differs from `positional_embedding` past position 20, as a fine-tuned Long-CLIP checkpoint's does.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files

import open_clip
import torch

from ..backends.open_clip.adapter import ClipAdapter
from ..backends.open_clip.build import adapter_from_state_dict, build_model
from ..core.checkpoint_files import Architecture
from ..core.registry import ModelSpec, register_model
from ..core.stretch import stretch_state_dict

#: The same architecture as an open_clip model config, so `open_clip:longbench-tiny --checkpoint F` works too.
OPEN_CLIP_NAME = "longbench-tiny"
open_clip.add_model_config(files("longbench") / "resources" / f"{OPEN_CLIP_NAME}.json")

TINY = Architecture(embed_dim=64, vision_width=128, vision_layers=2, patch_size=8, image_size=32,
                    vision_mlp_ratio=4.0, text_width=128, text_layers=2, text_heads=2, text_mlp_ratio=4.0,
                    context_length=77, vocab_size=49408)


def tiny_state_dict(longclip: bool = False, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights in the OpenAI key layout; with `longclip`, the Long-CLIP layout (248 rows, PE_res != PE)."""
    torch.manual_seed(seed)
    model = build_model(TINY)
    # open_clip initialises the positional table with std 0.01; make it matter at this size.
    torch.nn.init.normal_(model.positional_embedding, std=0.5)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if longclip:
        state = stretch_state_dict(state)
        gen = torch.Generator().manual_seed(seed + 1)
        res = state["positional_embedding_res"]
        res[20:] += 0.5 * torch.randn(res[20:].shape, generator=gen)
    return state


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode())
        h.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _builder(longclip: bool):
    def build(spec: ModelSpec) -> ClipAdapter:
        state = tiny_state_dict(longclip=longclip)
        return adapter_from_state_dict(state, name=spec.name, source="built in: random weights (seed 0)",
                                       sha256=weights_digest(state))
    return build


register_model(ModelSpec(name="tiny-clip", description="tiny random CLIP (77 tokens) for demos and tests",
                         architecture=TINY.name, context_length=77, build=_builder(False)))
register_model(ModelSpec(name="tiny-longclip", description="tiny random Long-CLIP-format model (248 tokens)",
                         architecture=TINY.name, context_length=248, build=_builder(True)))
