"""EVA02-CLIP (BAAI) through open_clip's converted weights: EVA02 image tower (timm), OpenAI-style causal 77-token
CLIP text tower pooled at EOT (trimming exact). MIT."""

from __future__ import annotations

from ..backends.open_clip.loading import tagged_spec
from ..core.registry import register_model

for _name, _arch, _tag in (("eva02-clip-B-16", "EVA02-B-16", "merged2b_s8b_b131k"),
                           ("eva02-clip-L-14", "EVA02-L-14", "merged2b_s4b_b131k"),
                           ("eva02-clip-L-14-336", "EVA02-L-14-336", "merged2b_s6b_b61k")):
    register_model(tagged_spec(_name, _arch, _tag, f"EVA02-CLIP {_arch} (77-token text)", "MIT"))
