"""Registry entries for Hugging Face transformers checkpoints people compare long-text models with.

Facts (repositories, context, resolution, licence) are those of docs/models.md; a licence the cards did not state
says so. Names load as `hf:REPO` (the transformers backend, the commit recorded). SigLIP 2 and MetaCLIP 2 weights
that open_clip also serves are registered under the plain names (siglip2.py, metaclip2.py); the `-hf` names here are
the transformers checkpoints, whose tokenizers differ (docs/models.md, "SigLIP 2"). Remote-code models are listed
with the pinned `hf:` form that runs them, or with why they cannot load.
"""

from __future__ import annotations

from ..backends.remote.loading import FLAG
from ..core.registry import ModelSpec, register_model

LONGCLIP = "unstated on the card (a conversion of Long-CLIP-L, Apache-2.0)"


def _hf(name: str, repo: str, description: str, architecture: str, context: int, resolution: int | None,
        licence: str) -> None:
    register_model(ModelSpec(name=name, description=description, architecture=architecture, context_length=context,
                             backend="transformers", licence=licence, resolution=resolution, load_as=f"hf:{repo}",
                             hf_repo=repo, hf_filename="model.safetensors"))


def _listed(name: str, repo: str, description: str, architecture: str, context: int, resolution: int | None,
            licence: str, why: str, opt_in: bool = True) -> None:
    """A remote-code model: opt-in (`why` says how to run it) unless `opt_in` is False (`why` says why not)."""
    register_model(ModelSpec(name=name, description=description, architecture=architecture, context_length=context,
                             backend="transformers-remote-code", licence=licence, resolution=resolution,
                             unavailable=f"{why} ({repo})", opt_in=opt_in))


_hf("longclip-L-hf", "zer0int/LongCLIP-L-Diffusers", "Long-CLIP-L converted to a transformers CLIPModel",
    "CLIPModel ViT-L/14", 248, 224, LONGCLIP)
_hf("longclip-gmp-L", "zer0int/LongCLIP-GmP-ViT-L-14", "Long-CLIP-L fine-tuned with GmP (transformers CLIPModel)",
    "CLIPModel ViT-L/14", 248, 224, "none stated on the card")
for _size, _repo, _res in (("B-16", "base-patch16", 224), ("B-16", "base-patch16", 256),
                           ("B-16", "base-patch16", 384), ("B-16", "base-patch16", 512),
                           ("L-16", "large-patch16", 256), ("L-16", "large-patch16", 384),
                           ("L-16", "large-patch16", 512), ("So400m-14", "so400m-patch14", 384),
                           ("So400m-16", "so400m-patch16", 384), ("So400m-16", "so400m-patch16", 512),
                           ("gopt-16", "giant-opt-patch16", 384)):
    _hf(f"siglip2-{_size}-{_res}-hf", f"google/siglip2-{_repo}-{_res}",
        f"SigLIP 2 {_size} at {_res} px (transformers; 64 tokens, padded to 64)", "SiglipModel", 64, _res,
        "Apache-2.0")
for _size, _repo in (("B-16", "base-patch16"), ("So400m-16", "so400m-patch16")):
    _hf(f"siglip2-{_size}-naflex-hf", f"google/siglip2-{_repo}-naflex",
        f"SigLIP 2 {_size} NaFlex (native aspect ratio; transformers)", "Siglip2Model", 64, None, "Apache-2.0")
for _variant, _res in (("worldwide-b32", 224), ("worldwide-b16", 224), ("worldwide-l14", 224),
                       ("worldwide-huge-quickgelu", 224), ("worldwide-huge-378", 378), ("worldwide-giant", 224),
                       ("worldwide-giant-378", 378), ("mt5-worldwide-b32", 224)):
    _hf(f"metaclip2-{_variant}-hf", f"facebook/metaclip-2-{_variant}",
        f"MetaCLIP 2 {_variant} (transformers; 77 tokens, pooled at the first end token)", "MetaClip2Model", 77,
        _res, "CC-BY-NC-4.0")
for _size, _vit, _res in (("base", "B/16", 224), ("large", "L/14", 336)):
    _listed(f"fgclip-{_size}", f"qihoo360/fg-clip-{_size}", f"FG-CLIP {_size} (#short 77 / #long 248 tokens)",
            f"FGCLIPModel ViT-{_vit}", 248, _res, "Apache-2.0",
            f"opt-in remote code: run it as --model hf:qihoo360/fg-clip-{_size}@<40-hex commit>[#long] {FLAG}")
for _size in ("base", "large", "so400m"):
    _listed(f"fgclip2-{_size}", f"qihoo360/fg-clip2-{_size}", f"FG-CLIP 2 {_size} (#short 64 / #long 196 tokens, "
            "NaFlex)", "FG_CLIP2_Model (SigLIP 2 based)", 196, None, "Apache-2.0",
            f"opt-in remote code: run it as --model hf:qihoo360/fg-clip2-{_size}@<40-hex commit>[#long] {FLAG}")
_listed("jina-clip-v2", "jinaai/jina-clip-v2", "jina-clip-v2 (XLM-R text tower, 8192 tokens; authors' default 512)",
        "JinaCLIPModel", 8192, 512, "CC-BY-NC-4.0",
        "refused: its code comes from jinaai/jina-clip-implementation, whose text tower is built with revision=None "
        "and so runs jinaai/xlm-roberta-flash-implementation's code from its main branch at load time, which no pin "
        "covers; that code also imports clip_loss, which transformers 5 removed (a public copy of its "
        "modeling_clip.py, read again, builds the text tower with revision=None too)", opt_in=False)
for _tower, _res in (("Openai-L-14-336", 336), ("Openai-L-14-224", 224), ("Openai-B-16", 224),
                     ("EVA02-L-14-336", 336)):
    _listed(f"llm2clip-{_tower}", f"microsoft/LLM2CLIP-{_tower}",
            f"LLM2CLIP {_tower} (Llama 3 8B LLM2Vec text side, 512 tokens)", "LLM2CLIPModel + bidirectional Llama",
            512, _res, "Apache-2.0 (CLIP part); the LLM under Llama 3 terms",
            f"opt-in remote code: run it as --model hf:microsoft/LLM2CLIP-{_tower}@<40-hex commit> {FLAG} (the "
            "text side, microsoft/LLM2CLIP-Llama-3-8B-Instruct-CC-Finetuned, runs without its code; "
            "#llm=ORG/REPO@REVISION picks another)")
