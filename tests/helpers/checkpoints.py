"""Checkpoint files from a state dict (the tiny models' states are the `clip_state` and `longclip_state` fixtures
of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import torch


def save_torch(state: dict[str, torch.Tensor], path: Path) -> Path:
    torch.save(state, path)
    return path
