"""Fixtures every test area shares: no test touches the network or the user's folders; the tiny models' states.
Builders that test modules import live in tests/helpers/ (see tests/README.md)."""

from __future__ import annotations

import os

import pytest
import torch

# Set before anything imports huggingface_hub, which reads it at import time.
os.environ["LONGBENCH_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

from longbench.adapters.families.tiny import tiny_state_dict  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Weights and caches in a per-test folder, never the user's."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(base / "weights"))
    monkeypatch.setenv("LONGBENCH_CACHE", str(base / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg"))


@pytest.fixture(scope="session")
def clip_state() -> dict[str, torch.Tensor]:
    return tiny_state_dict(longclip=False, seed=0)


@pytest.fixture(scope="session")
def longclip_state() -> dict[str, torch.Tensor]:
    return tiny_state_dict(longclip=True, seed=0)


@pytest.fixture
def console_width(monkeypatch):
    """console_width(N): the CLI's shared consoles print N columns for this test only (CliRunner's terminal has
    80). The private `_width` is patched: undoing `console.width = N` would pin the width measured before the test,
    and a later test's COLUMNS would be ignored."""
    from longbench.cli._app import console, err_console

    def set_width(width: int) -> None:
        for c in (console, err_console):
            monkeypatch.setattr(c, "_width", width)
    return set_width
