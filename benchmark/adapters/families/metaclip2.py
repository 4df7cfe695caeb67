"""MetaCLIP 2 worldwide (Meta) through open_clip's `metaclip2_worldwide` tags: XLM-V tokenizer, causal 77-token text
pooled at the first end token (eos id 2). The H/14 224 weights were trained with QuickGELU: its `-quickgelu` name.
CC-BY-NC-4.0."""

from __future__ import annotations

from ..backends.open_clip.loading import tagged_spec
from ..core.registry import register_model

for _name, _arch in (("metaclip2-H-14", "ViT-H-14-worldwide-quickgelu"),
                     ("metaclip2-H-14-378", "ViT-H-14-worldwide-378"),
                     ("metaclip2-bigG-14", "ViT-bigG-14-worldwide"),
                     ("metaclip2-bigG-14-378", "ViT-bigG-14-worldwide-378")):
    register_model(tagged_spec(_name, _arch, "metaclip2_worldwide", f"MetaCLIP 2 worldwide {_arch} (77-token text)",
                               "CC-BY-NC-4.0"))
