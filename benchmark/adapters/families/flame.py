"""FLAME (CVPR 2025; MIV-XJTU/FLAME, weights caj/FLAME-Mistral-Nemo-ViT-B-16-CC3M, CC-BY-4.0): a frozen Mistral-Nemo
text side read through seven prompt templates, an open_clip ViT-B/16 with an MLP projector into the LLM's width.
Listed with why longbench does not load it (docs/baselines.md, "FLAME")."""

from __future__ import annotations

from ..core.registry import ModelSpec, register_model

register_model(ModelSpec(
    name="flame-B-16-cc3m", description="FLAME Mistral-Nemo + ViT-B/16, CC3M (frozen LLM, 7-template text embedding)",
    architecture="FLAME-Mistral-Nemo-ViT-B-16", context_length=1024, licence="CC-BY-4.0", resolution=224,
    backend="-", unavailable=(
        "its text embedding cannot be followed exactly: the COCO/Flickr30k numbers come from CLIP_benchmark batches "
        "of 64, where the multi-template mask (open_clip/multiprompteol_embeddings.py) hides padded queries but not "
        "the left-padding keys and positions count the padding, so a caption's embedding depends on the longest "
        "caption in its batch; the long-caption scripts (training/eval_urban_1k.py, ...) encode one caption at a "
        "time after multi_template=True is edited into model.py; the LLM, mistralai/Mistral-Nemo-Instruct-2407, is "
        "loaded at its main branch (no pin) in fp16; and the checkpoint's layout for the fork's image tower and mm "
        "projector could not be read offline (github.com/MIV-XJTU/FLAME)")))
