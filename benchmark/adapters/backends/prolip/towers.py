"""ProLIP's two towers, with the authors' parameter names, so that their `model.safetensors` loads strictly.

The computation is the authors' (naver-ai/prolip, src/prolip/transformer.py), on open_clip's transformer blocks (the
same `resblocks.N.{ln_1,attn,ln_2,mlp.c_fc,mlp.c_proj}` tensors; batch-first instead of the authors' sequence-first
layout, the same arithmetic):

- Text: token embeddings of the padded ids, then [UNC] and [CLS] appended after the LAST position, positions
  `0 .. L+1` added, no attention mask at all (padding is attended). The mean is `text_projection(ln_final(x[:, -1]))`
  and the log-variance `text_uncertainty_projection` of that projected mean (the authors' forward applies it to the
  projected [CLS] output; their [UNC] output is computed and left unused). Where [CLS] sits depends on the padded
  width, so a batch is always padded to the context: the long model's table has context + 2 rows.
- Image: [CLS] and [UNC] prepended to the patches, `ln_post` over all tokens, then `ln_post` once more on the pooled
  [CLS] token before `proj` (the authors apply it twice); the log-variance is `uncertainty_proj` of the [UNC] token.
"""

from __future__ import annotations

import torch
from open_clip.transformer import LayerNorm, QuickGELU, Transformer
from torch import nn

from .config import ProLIPConfig


def _transformer(width: int, layers: int, heads: int, mlp_ratio: float, eps: float, quick_gelu: bool) -> Transformer:
    norm = lambda dim: LayerNorm(dim, eps=eps)  # noqa: E731 -- open_clip builds norm_layer(width)
    return Transformer(width, layers, heads, mlp_ratio, act_layer=QuickGELU if quick_gelu else nn.GELU,
                       norm_layer=norm, batch_first=True)


class ProLIPText(nn.Module):
    def __init__(self, config: ProLIPConfig):
        super().__init__()
        t = config.text
        self.context_length = t.context_length
        self.token_embedding = nn.Embedding(t.vocab_size, t.width)
        self.cls_emb = nn.Parameter(torch.empty(t.width))
        self.unc_emb = nn.Parameter(torch.empty(t.width))
        self.positional_embedding = nn.Parameter(torch.empty(t.context_length + 2, t.width))
        self.transformer = _transformer(t.width, t.layers, t.heads, t.mlp_ratio, t.layer_norm_eps, config.quick_gelu)
        self.ln_final = LayerNorm(t.width, eps=t.layer_norm_eps)
        self.text_projection = nn.Linear(t.width, config.embed_dim)
        self.text_uncertainty_projection = nn.Linear(t.width, config.embed_dim)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log-variance), both [N, embed_dim], unnormalised, of ids [N, L] (L <= the context)."""
        n, width = ids.shape
        if width > self.context_length:
            raise ValueError(f"token ids are {width} wide, the model's context is {self.context_length}")
        cast = self.transformer.get_cast_dtype()
        x = self.token_embedding(ids).to(cast)
        x = torch.cat([x, self.unc_emb.view(1, 1, -1).expand(n, 1, -1).to(cast),
                       self.cls_emb.view(1, 1, -1).expand(n, 1, -1).to(cast)], dim=1)
        x = self.transformer(x + self.positional_embedding[: width + 2].to(cast))
        mean = self.text_projection(self.ln_final(x[:, -1]))
        return mean, self.text_uncertainty_projection(mean)


class ProLIPVision(nn.Module):
    def __init__(self, config: ProLIPConfig):
        super().__init__()
        v = config.vision
        grid = v.image_size // v.patch_size
        self.conv1 = nn.Conv2d(3, v.width, kernel_size=v.patch_size, stride=v.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(v.width))
        self.unc_embedding = nn.Parameter(torch.empty(v.width))
        self.positional_embedding = nn.Parameter(torch.empty(grid * grid + 2, v.width))
        self.ln_pre = nn.Identity() if v.no_ln_pre else LayerNorm(v.width, eps=v.layer_norm_eps)
        self.transformer = _transformer(v.width, v.layers, v.heads, v.mlp_ratio, v.layer_norm_eps, config.quick_gelu)
        self.ln_post = LayerNorm(v.width, eps=v.layer_norm_eps)
        self.proj = nn.Parameter(torch.empty(v.width, config.embed_dim))
        self.uncertainty_proj = nn.Linear(v.width, config.embed_dim)

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log-variance), both [N, embed_dim], unnormalised, of preprocessed pixels [N, 3, H, W]."""
        x = self.conv1(pixels).flatten(2).transpose(1, 2)  # [N, grid**2, width]
        n = x.shape[0]
        tokens = [self.class_embedding.view(1, 1, -1).expand(n, 1, -1).to(x.dtype),
                  self.unc_embedding.view(1, 1, -1).expand(n, 1, -1).to(x.dtype), x]
        x = self.ln_pre(torch.cat(tokens, dim=1) + self.positional_embedding.to(x.dtype))
        x = self.ln_post(self.transformer(x))
        return self.ln_post(x[:, 0]) @ self.proj, self.uncertainty_proj(x[:, 1])


class ProLIPTowers(nn.Module):
    """Both towers under the checkpoint's key prefixes `visual.` and `text.` (its loss scalars `logit_scale` and
    `logit_bias` scale similarities, never an embedding, and are not kept)."""

    def __init__(self, config: ProLIPConfig):
        super().__init__()
        self.visual = ProLIPVision(config)
        self.text = ProLIPText(config)
