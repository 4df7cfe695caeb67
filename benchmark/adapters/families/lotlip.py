"""LoTLIP (NeurIPS 2024): BERT-base text tower with 2 corner tokens (128 tokens) and a timm ViT, trained on 100M
long-caption pairs (backends/lotlip/). Weights: huggingface.co/weiwu-ww/LoTLIP-ViT-B-{16,32}-100M, `model.pt`; the
model cards state CC-BY-4.0 (the code is MIT). The ViT-B/32 file is pinned to the commit that uploaded it; for the
ViT-B/16 repository only the short hash c8bcceb of that commit could be read offline, so it is not pinned."""

from __future__ import annotations

from ..core.registry import ModelSpec, register_model

LICENCE = "CC-BY-4.0 (model card; code MIT)"

for _name, _arch, _revision in (("lotlip-B", "ViT-B-16", None),
                                ("lotlip-B-32", "ViT-B-32", "88b07ce7dfb333334371b8345f3593517f31efe6")):
    register_model(ModelSpec(
        name=_name,
        description=f"LoTLIP {_arch} (100M long-caption pairs; BERT text tower with corner tokens, 128 tokens)"
                    + ("" if _revision else "; Hub commit not pinned"),
        architecture=f"timm {_arch} + BERT-base with 2 corner tokens",
        context_length=128,
        backend="lotlip",
        licence=LICENCE,
        resolution=224,
        load_file_as=f"lotlip:{_arch}",
        hf_repo=f"weiwu-ww/LoTLIP-{_arch}-100M",
        hf_filename="model.pt",
        revision=_revision,
        local_filename=f"{_name}.pt",
    ))
