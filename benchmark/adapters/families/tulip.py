"""TULIP (ICLR 2025): the base CLIP's image tower and a RoPE text tower of 248 tokens, fine-tuned on ShareGPT4V
(backends/tulip/). Weights: huggingface.co/mderakhshani/TULIP, Apache-2.0 on its model card. The repository's file
names and commit could not be read offline (no Hub access), so these entries name no file: nothing is downloaded,
the checkpoint is read from the weights folder (tulip-L.pt, tulip-B.pt) or --checkpoint FILE."""

from __future__ import annotations

from ..core.registry import ModelSpec, register_model

for _suffix, _arch in (("L", "ViT-L-14"), ("B", "ViT-B-16")):
    register_model(ModelSpec(
        name=f"tulip-{_suffix}",
        description=f"TULIP {_arch} (OpenAI base; RoPE text tower, 248 tokens; Hub file name not pinned)",
        architecture=f"{_arch} + TULIP RoPE text tower",
        context_length=248,
        backend="tulip",
        licence="Apache-2.0",
        resolution=224,
        load_file_as=f"tulip:{_arch}@openai",
        hf_repo="mderakhshani/TULIP",
        local_filename=f"tulip-{_suffix}.pt",
    ))
