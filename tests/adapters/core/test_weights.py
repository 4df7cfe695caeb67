"""Weights resolution: --checkpoint, then the weights folder, then the Hub; offline errors say what to fetch."""

from __future__ import annotations

import pytest
import torch

from longbench.adapters import MODELS, load_model
from longbench.adapters.core import weights as weights_mod
from longbench.errors import UnknownNameError, WeightsNotFoundError


def test_offline_error_names_file_source_and_target(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(tmp_path / "w"))
    with pytest.raises(WeightsNotFoundError) as err:
        load_model("longclip-L")
    message = str(err.value)
    assert "longclip-L.pt" in message
    assert "https://huggingface.co/BeichenZhang/LongCLIP-L" in message
    assert str(tmp_path / "w" / "longclip-L.pt") in message
    assert "\n" not in message


def test_clip_entries_point_at_open_clips_source():
    spec = MODELS.get("clip-B")
    assert spec.hf_repo == "timm/vit_base_patch16_clip_224.openai"
    assert spec.context_length == 77
    assert {"clip-B", "clip-L", "clip-B-32", "longclip-B", "longclip-L", "longclip-B-32"} <= set(MODELS)


def test_checkpoint_wins_over_the_weights_folder(clip_state, longclip_state, tmp_path, monkeypatch):
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(tmp_path))
    torch.save(longclip_state, tmp_path / "longclip-B.pt")
    explicit = tmp_path / "other.pt"
    torch.save(clip_state, explicit)
    assert load_model("longclip-B", explicit).context_length == 77
    assert load_model("longclip-B").context_length == 248


def test_download_is_tried_when_online(tmp_path, monkeypatch, longclip_state):
    """With downloads allowed the Hub client is asked for the registry's repo and file."""
    monkeypatch.delenv("LONGBENCH_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    calls = []
    target = tmp_path / "downloaded.pt"
    torch.save(longclip_state, target)

    def fake_download(repo, filename, revision=None):
        calls.append((repo, filename, revision))
        return str(target)

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.setattr(weights_mod, "local_weights", lambda *a: None)
    adapter = load_model("longclip-B")
    assert calls == [("BeichenZhang/LongCLIP-B", "longclip-B.pt", None)]
    assert adapter.provenance.checkpoint == str(target)


def test_unknown_name_suggests_close_ones():
    with pytest.raises(UnknownNameError, match="did you mean longclip-B"):
        load_model("longclip-b")
    with pytest.raises(UnknownNameError, match="unknown model prefix 'openclip'"):
        load_model("openclip:ViT-B-16")
