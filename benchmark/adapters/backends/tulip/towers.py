"""TULIP's text towers, with the parameter names of the authors' checkpoints.

TULIP (github.com/ivonajdenkoska/tulip, ICLR 2025) distils a CLIP text tower into one with relative positions and
fine-tunes it on long captions. Its evaluation (`eval_tulip.py`) builds one of three towers with the base CLIP's
text width, heads and layers, `output_dim` = width and a 248-token context, everything else at the defaults of the
authors' open_clip fork: GELU (not QuickGELU), LayerNorm eps 1e-5, MLP ratio 4, a causal mask, the EOT token (the
largest id) pooled after `ln_final` and multiplied by a width x width `text_projection`:

- `rope` (`TextTransformerRoPE`, open_clip/transformer_rope.py): no position table; in every attention layer queries
  and keys are rotated as complex pairs of adjacent channels by position x 10000^(-2i / head_dim) (Llama's RoPE,
  theta 10000: the evaluation builds the plain table, not the NTK-scaled one of the fine-tuning script);
- `cope` (`TextTransformerCoPE`, transformer_cope.py): no position table; queries and keys layer-normalised per head,
  logits scaled by head_dim^-1/2 twice, then Contextual Position Encoding adds, for query i and key j, the
  interpolation of q_i . pos_emb at the fractional position sum_{k >= j} sigmoid(logit_ik) (clamped to 247);
- `learnable` (`TextTransformer`, transformer.py): a learned 248-row table added to the token embeddings.

The authors' `encode_text` pads the token embeddings with zeros (not with the pad token's embedding) up to 248
positions (rope, cope) or takes 248 ids (learnable). All three are causal and pool the EOT token, which no later
position can reach, so the forward here runs at the batch's own width and gives the same vectors as the padded one
(`TextSpec.trim_exact`; tests/fixtures/tulip/ holds the authors' vectors, padded and cut).
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

#: The tower kinds eval_tulip.py's --pos_encodings offers.
POSITIONS = ("rope", "cope", "learnable")
#: RoPE's base (transformer_rope.precompute_freqs_cis).
ROPE_THETA = 10000.0


def rope_table(head_dim: int, length: int) -> torch.Tensor:
    """complex64 [length, head_dim / 2]: e^(i * position * theta^(-2k / head_dim))."""
    inv = 1.0 / (ROPE_THETA ** (torch.arange(0, head_dim, 2)[: head_dim // 2].float() / head_dim))
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv)
    return torch.polar(torch.ones_like(angles), angles)


def rotate(x: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """x [N, L, H, D] rotated pairwise by table [L, D/2], computed in float32 as the authors do."""
    pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(pairs * table[None, :, None, :]).flatten(3).type_as(x)


class CoPE(nn.Module):
    """Contextual Position Encoding: a learned logit per (head channel, position), read at fractional positions."""

    def __init__(self, head_dim: int, positions: int):
        super().__init__()
        self.pos_emb = nn.Parameter(torch.zeros(1, head_dim, positions))

    def forward(self, query: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        # Masked logits are -inf, so their gates are exactly 0: a key's position counts unmasked keys after it only.
        pos = torch.sigmoid(logits).flip(-1).cumsum(dim=-1).flip(-1).clamp(max=self.pos_emb.shape[-1] - 1)
        table = torch.matmul(query, self.pos_emb)
        ceil, floor = pos.ceil().long(), pos.floor().long()
        weight = pos - floor
        return table.gather(-1, ceil) * weight + table.gather(-1, floor) * (1 - weight)


class Attention(nn.Module):
    """Multi-head self-attention in open_clip's parameter layout (in_proj_weight/bias, out_proj)."""

    def __init__(self, width: int, heads: int, positions: str, context_length: int):
        super().__init__()
        self.heads, self.head_dim, self.positions = heads, width // heads, positions
        self.in_proj_weight = nn.Parameter(torch.zeros(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)
        if positions == "cope":
            self.cope = CoPE(self.head_dim, context_length)
            self.q_ln = nn.LayerNorm(self.head_dim)
            self.k_ln = nn.LayerNorm(self.head_dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n, length, width = x.shape
        q, k, v = (t.reshape(n, length, self.heads, self.head_dim)
                   for t in F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1))
        if self.positions == "rope":
            table = rope_table(self.head_dim, length).to(x.device)
            q, k = rotate(q, table), rotate(k, table)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [N, H, L, D]
        if self.positions == "cope":
            q, k = self.q_ln(q), self.k_ln(k)
        q = q * self.head_dim ** -0.5
        logits = q @ k.transpose(-1, -2)
        if self.positions == "cope":
            logits = logits / math.sqrt(self.head_dim)  # the authors scale twice
        logits = logits + mask
        if self.positions == "cope":
            logits = logits + self.cope(q, logits)
        out = logits.softmax(dim=-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(n, length, width))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, positions: str, context_length: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads, positions, context_length)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(width, 4 * width)), ("gelu", nn.GELU()),
                                              ("c_proj", nn.Linear(4 * width, width))]))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Blocks(nn.Module):
    """Holds `resblocks`, so that keys read `transformer.resblocks.N....` as in the checkpoints."""

    def __init__(self, blocks: list[Block]):
        super().__init__()
        self.resblocks = nn.ModuleList(blocks)


class TulipText(nn.Module):
    """One of TULIP's text towers; `forward(ids)` gives the projected EOT feature (not normalised) at any width up to
    the context."""

    def __init__(self, positions: str, context_length: int, vocab_size: int, width: int, heads: int, layers: int):
        super().__init__()
        if positions not in POSITIONS:
            raise ValueError(f"unknown TULIP text tower {positions!r} (expected one of {', '.join(POSITIONS)})")
        self.positions, self.context_length, self.width = positions, context_length, width
        self.token_embedding = nn.Embedding(vocab_size, width)
        if positions == "learnable":
            self.positional_embedding = nn.Parameter(torch.zeros(context_length, width))
        self.transformer = Blocks([Block(width, heads, positions, context_length) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.zeros(width, width))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        length = ids.shape[1]
        if length > self.context_length:
            raise ValueError(f"token ids are {length} wide, the model's context is {self.context_length}")
        x = self.token_embedding(ids)
        if self.positions == "learnable":
            x = x + self.positional_embedding[:length]
        mask = torch.full((length, length), float("-inf"), device=ids.device).triu_(1)
        for block in self.transformer.resblocks:
            x = block(x, mask)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0], device=x.device), ids.argmax(dim=-1)] @ self.text_projection
