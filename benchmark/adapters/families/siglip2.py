"""SigLIP 2 (Google, big_vision) through open_clip's `webli` tags: Gemma tokenizer, 64-token bidirectional text
tower pooled at the last position (padded to 64, never trimmed), sigmoid-trained (ranking is cosine), Apache-2.0."""

from __future__ import annotations

from ..backends.open_clip.loading import tagged_spec
from ..core.registry import register_model

for _name, _arch in (("siglip2-B-32-256", "ViT-B-32-SigLIP2-256"),
                     ("siglip2-B-16", "ViT-B-16-SigLIP2"),
                     ("siglip2-B-16-256", "ViT-B-16-SigLIP2-256"),
                     ("siglip2-B-16-384", "ViT-B-16-SigLIP2-384"),
                     ("siglip2-B-16-512", "ViT-B-16-SigLIP2-512"),
                     ("siglip2-L-16-256", "ViT-L-16-SigLIP2-256"),
                     ("siglip2-L-16-384", "ViT-L-16-SigLIP2-384"),
                     ("siglip2-L-16-512", "ViT-L-16-SigLIP2-512"),
                     ("siglip2-So400m-14", "ViT-SO400M-14-SigLIP2"),
                     ("siglip2-So400m-14-378", "ViT-SO400M-14-SigLIP2-378"),
                     ("siglip2-So400m-16-256", "ViT-SO400M-16-SigLIP2-256"),
                     ("siglip2-So400m-16-384", "ViT-SO400M-16-SigLIP2-384"),
                     ("siglip2-So400m-16-512", "ViT-SO400M-16-SigLIP2-512"),
                     ("siglip2-gopt-16-256", "ViT-gopt-16-SigLIP2-256"),
                     ("siglip2-gopt-16-384", "ViT-gopt-16-SigLIP2-384")):
    register_model(tagged_spec(_name, _arch, "webli", f"SigLIP 2 {_arch} (64-token text, padded to 64)",
                               "Apache-2.0"))
