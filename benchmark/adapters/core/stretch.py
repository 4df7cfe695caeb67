"""Stretching a 77-row positional table to a longer context, and recognising a table that was stretched.

Both methods are linear maps of the old table, so each is a matrix M [n_new, n_old] and `new = M @ old`:
- `kps`, Long-CLIP's knowledge-preserved stretching (docs/protocols.md, "Models"): rows < keep copied, the rest
  linearly interpolated between consecutive old rows at `ratio` new rows per old row, the last `ratio` rows
  extrapolated.
- `linear`, the baseline: plain linear interpolation of all rows (`F.interpolate(..., align_corners=False)`, what
  open_clip's `resize_text_pos_embed` does).
Writing them as matrices also makes detection exact: a table was produced by M when projecting it onto M's
column space leaves no residual. Both backends name a loaded table's kind with it (`pos_embed_kind`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

METHODS = ("kps", "linear")


def stretched_length(n_old: int = 77, keep: int = 20, ratio: int = 4) -> int:
    return keep + (n_old - keep) * ratio


def kps_matrix(n_old: int = 77, keep: int = 20, ratio: int = 4) -> torch.Tensor:
    if not 0 < keep < n_old - 1 or ratio < 1:
        raise ValueError(f"need 0 < keep < {n_old - 1} and ratio >= 1, got keep={keep}, ratio={ratio}")
    n_new = stretched_length(n_old, keep, ratio)
    m = torch.zeros(n_new, n_old, dtype=torch.float64)
    for p in range(keep):
        m[p, p] = 1.0
    for j in range(keep, n_old - 1):
        for k in range(ratio):
            row = keep + ratio * (j - keep) + k
            m[row, j] = 1 - k / ratio
            m[row, j + 1] = k / ratio
    last = n_old - 1
    for k in range(ratio):  # extrapolate past the last row along its last step
        row = keep + ratio * (last - keep) + k
        m[row, last] = 1 + k / ratio
        m[row, last - 1] = -k / ratio
    return m


def linear_matrix(n_old: int, n_new: int) -> torch.Tensor:
    eye = torch.eye(n_old, dtype=torch.float64).unsqueeze(0)  # [1, n_old(channels), n_old(positions)]
    return F.interpolate(eye, size=n_new, mode="linear", align_corners=False)[0].T


def stretch_matrix(method: str, n_old: int = 77, keep: int = 20, ratio: int = 4) -> torch.Tensor:
    if method == "kps":
        return kps_matrix(n_old, keep, ratio)
    if method == "linear":
        return linear_matrix(n_old, stretched_length(n_old, keep, ratio))
    raise ValueError(f"unknown stretch method {method!r} (expected one of {', '.join(METHODS)})")


def stretch_table(table: torch.Tensor, method: str = "kps", keep: int = 20, ratio: int = 4) -> torch.Tensor:
    """The stretched table, same dtype as `table`; computed in float64 so row copies stay bit-exact."""
    m = stretch_matrix(method, table.shape[0], keep, ratio)
    return (m @ table.double()).to(table.dtype)


def detect_stretch(table: torch.Tensor, n_old: int = 77, keep: int = 20, tol: float = 1e-4) -> str | None:
    """'kps' or 'linear' when `table` is exactly a stretch of some n_old-row table, else None."""
    n_new = table.shape[0]
    ratio, rem = divmod(n_new - keep, n_old - keep)
    if n_new <= n_old or rem or ratio < 2:
        return None
    t = table.double()
    scale = t.abs().max().clamp_min(1e-12)
    for method in METHODS:
        m = stretch_matrix(method, n_old, keep, ratio)
        fitted = m @ torch.linalg.lstsq(m, t).solution
        if ((fitted - t).abs().max() / scale) < tol:
            return method
    return None


def pos_embed_kind(table: torch.Tensor, has_res: bool) -> str:
    """Name the effective positional table: clip77, kps-stretched, linear-stretched, longclip248 or customN."""
    n = table.shape[0]
    method = detect_stretch(table)
    if method:
        return f"{method}-stretched"
    if has_res:
        return f"longclip{n}"
    return "clip77" if n == 77 else f"custom{n}"


def stretch_state_dict(state: dict[str, torch.Tensor], method: str = "kps", keep: int = 20,
                       ratio: int = 4) -> dict[str, torch.Tensor]:
    """A Long-CLIP-format state dict from a 77-context one: PE = PE_res = the stretched table.

    That is exactly what Long-CLIP's training starts from (PE frozen, PE_res trained from a copy), so every loader
    of Long-CLIP checkpoints reads the result.
    """
    if "positional_embedding_res" in state:
        raise ValueError("the checkpoint is already a Long-CLIP checkpoint (it has positional_embedding_res)")
    rows = state["positional_embedding"].shape[0]
    if rows != 77:
        raise ValueError(f"stretching starts from CLIP's 77-row positional table, this one has {rows} rows")
    table = stretch_table(state["positional_embedding"], method, keep, ratio)
    out = dict(state)
    out["positional_embedding"] = table
    out["positional_embedding_res"] = table.clone()
    return out
