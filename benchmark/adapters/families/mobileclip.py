"""MobileCLIP and MobileCLIP2 (Apple) through open_clip's tags. The S-series (and MobileCLIP2-L-14) text towers are
bidirectional without a padding mask: padded to 77, never trimmed; B models are causal. Weights under the Apple ML
Research Model Terms of Use (research only). MobileCLIP-S0 (MCt text tower) has no open_clip config: not listed."""

from __future__ import annotations

from ..backends.open_clip.loading import tagged_spec
from ..core.registry import register_model

LICENCE = "Apple ML Research Model Terms of Use"

for _name, _arch, _tag in (("mobileclip-S1", "MobileCLIP-S1", "datacompdr"),
                           ("mobileclip-S2", "MobileCLIP-S2", "datacompdr"),
                           ("mobileclip-B", "MobileCLIP-B", "datacompdr"),
                           ("mobileclip-B-LT", "MobileCLIP-B", "datacompdr_lt"),
                           ("mobileclip2-S0", "MobileCLIP2-S0", "dfndr2b"),
                           ("mobileclip2-S2", "MobileCLIP2-S2", "dfndr2b"),
                           ("mobileclip2-S3", "MobileCLIP2-S3", "dfndr2b"),
                           ("mobileclip2-S4", "MobileCLIP2-S4", "dfndr2b"),
                           ("mobileclip2-B", "MobileCLIP2-B", "dfndr2b"),
                           ("mobileclip2-L-14", "MobileCLIP2-L-14", "dfndr2b")):
    register_model(tagged_spec(_name, _arch, _tag, f"{_arch} {_tag} (77-token text)", LICENCE))
