"""Long-CLIP: the 248-token checkpoints and the one detail a loader must get right.

Long-CLIP's text input is `token_emb + PE * mask1 + PE_res * mask2`, mask1 = positions 0-19, mask2 the rest
(PROTOCOLS.md 1). The effective table is therefore `concat(PE[:20], PE_res[20:])`; a loader that keeps only
`positional_embedding` silently evaluates the un-fine-tuned table past position 20.
"""

from __future__ import annotations

import torch

from ..errors import CheckpointError
from .registry import ModelSpec, register_model

#: Positions taken from `positional_embedding` (mask1); the rest come from `positional_embedding_res`.
KEEP = 20


def combine_positional_tables(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace PE/PE_res by the single effective table; a state dict without PE_res is returned unchanged."""
    if "positional_embedding_res" not in state:
        return state
    out = dict(state)
    pe, res = out["positional_embedding"], out.pop("positional_embedding_res")
    if pe.shape != res.shape:
        raise CheckpointError(f"positional_embedding {tuple(pe.shape)} and positional_embedding_res "
                         f"{tuple(res.shape)} differ in shape")
    out["positional_embedding"] = torch.cat([pe[:KEEP], res[KEEP:]])
    return out


for _suffix, _arch in (("B", "ViT-B-16"), ("L", "ViT-L-14"), ("B-32", "ViT-B-32")):
    register_model(ModelSpec(
        name=f"longclip-{_suffix}",
        description=f"Long-CLIP {_arch} (248-token text, knowledge-preserved stretching + fine-tuning)",
        architecture=_arch,
        context_length=248,
        licence="Apache-2.0",
        resolution=224,
        hf_repo=f"BeichenZhang/LongCLIP-{_suffix}",
        hf_filename=f"longclip-{_suffix}.pt",
        local_filename=f"longclip-{_suffix}.pt",
    ))
