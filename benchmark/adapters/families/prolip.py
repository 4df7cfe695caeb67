"""ProLIP (ICLR 2025) and LongProLIP (naver-ai/prolip; weights SanghyukChun/*, MIT): probabilistic CLIP-style models
whose text tower appends [UNC] and [CLS] after the padded text (64 tokens; LongProLIP 256), SigLIP's T5 tokenizer
with `canonicalize` cleaning. They load through the prolip backend (backends/prolip/); longbench scores them by the
cosine of their mean embeddings (docs/baselines.md, "ProLIP and LongProLIP").

Revisions: the ViT-B/16 repository is pinned at the commit found for it; for the others no full commit hash could be
found offline, so they load at the repository's main branch and the commit the snapshot came from is recorded.
ProLIP ViT-H/14 is listed as not loadable: its config names no tokenizer, and the authors' `get_tokenizer` refuses it.
"""

from __future__ import annotations

from ..core.registry import ModelSpec, register_model

LICENCE = "MIT"


def _prolip(name: str, repo: str, revision: str | None, description: str, architecture: str, context: int,
            resolution: int) -> None:
    pinned = f"{repo}@{revision}" if revision else repo
    register_model(ModelSpec(name=name, description=description, architecture=architecture, context_length=context,
                             backend="prolip", licence=LICENCE, resolution=resolution, load_as=f"prolip:{pinned}",
                             hf_repo=repo, hf_filename="model.safetensors"))


_prolip("prolip-B-16", "SanghyukChun/ProLIP-ViT-B-16-DC-1B-12_8B", "c5782b6d39ca3a15941a075da5a6c1c1b1b46bc7",
        "ProLIP ViT-B/16, DataComp-1B, 12.8B seen (64 tokens)", "ViT-B-16-ProLIP", 64, 224)
for _suffix, _data in (("S24M", "ShareGPT4V + 24M"), ("SHD128M", "ShareGPT4V + HYPE + DFN, 128M")):
    _prolip(f"longprolip-B-16-{_suffix}", f"SanghyukChun/LongProLIP-ViT-B-16-{_suffix}", None,
            f"LongProLIP ViT-B/16 fine-tuned to 256 tokens ({_data} samples)", "ViT-B-16-ProLIP-long", 256, 224)
_prolip("prolip-L-16", "SanghyukChun/ProLIP-ViT-L-16-FT-DC-1B-1_28B", None,
        "ProLIP ViT-L/16, DataComp-1B, 1.28B seen, fine-tuned (64 tokens)", "ViT-L-16-ProLIP", 64, 256)
_prolip("prolip-So400m-14", "SanghyukChun/ProLIP-ViT-SO400M-14-FT-DC-1B-1_28B", None,
        "ProLIP ViT-SO400M/14, DataComp-1B, 1.28B seen, fine-tuned (64 tokens)", "ViT-SO400M-14-ProLIP", 64, 224)
register_model(ModelSpec(
    name="prolip-H-14", description="ProLIP ViT-H/14, DataComp-1B, 1.28B seen, fine-tuned (77 tokens)",
    architecture="ViT-H-14-ProLIP", context_length=77, backend="prolip", licence=LICENCE, resolution=224,
    unavailable=("its config names no tokenizer (text_cfg has no hf_tokenizer_name: a 49,408-token vocabulary, "
                 "CLIP's size) and the authors' get_tokenizer refuses it ('simple tokenizer is not supported'), so "
                 "which tokenizer and cleaning their evaluation used cannot be read from their code "
                 "(SanghyukChun/ProLIP-ViT-H-14-FT-DC-1B-1_28B)")))
