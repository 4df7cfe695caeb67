"""The open_clip backend on tiny random models of each family, read from open_clip's own folder format.

Each is checked against open_clip itself (`create_model_and_transforms` + `get_tokenizer` on the same folder): the
same token ids, the same preprocessing, and embeddings equal to its `encode_text` / `encode_image` (fp32, 1e-5);
trimming is used, and exact, only where the family's text spec says so.
"""

from __future__ import annotations

import json

import numpy as np
import open_clip
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.cli import app
from longbench.encode import Encoder
from longbench.errors import CheckpointError, UnknownNameError
from longbench.settings import RunSettings
from tests.adapters.backends.open_clip.open_clip_folders import FAMILIES, write_family

CAPTIONS = ["a cat on the mat", "two birds", "A red sofa, and a dog asleep on it!", "word " * 100, ""]
#: family -> (causal, pool, trimming exact, fixed length)
SPECS = {
    "clip": (True, "eot_argmax", True, None),
    "siglip": (False, "last", False, 16),
    "mobileclip-s": (False, "eot_argmax", False, 77),
    "metaclip2": (True, "eos_id", True, None),
    "coca": (True, "last", False, 76),
    "hf-text": (False, "mean", True, None),
    "eva02": (True, "eot_argmax", True, None),
    "siglip-timm": (False, "last", False, 16),
    "pe-core": (True, "eot_argmax", True, None),
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("open_clip_models")
    return {family: write_family(root / family, family) for family in FAMILIES}


@pytest.fixture(scope="module")
def references(folders):
    """open_clip's own model, preprocessing and tokenizer for each folder."""
    out = {}
    for family, folder in folders.items():
        model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}")
        out[family] = (model.eval(), preprocess, open_clip.get_tokenizer(f"local-dir:{folder}"))
    return out


def images(n: int = 3) -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (40 + 7 * i, 50, 3), dtype=np.uint8)) for i in range(n)]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_embeddings_equal_open_clip_own(family, folders, references):
    model, preprocess, tokenizer = references[family]
    adapter = load_model(f"local-dir:{folders[family]}")
    causal, pool, exact, fixed = SPECS[family]
    spec = adapter.text_spec
    assert (spec.causal, spec.pool, spec.trim_exact, spec.fixed_length) == (causal, pool, exact, fixed)
    assert adapter.provenance.backend == "open_clip" and adapter.provenance.text_spec == spec.to_dict()

    batch = adapter.tokenize(CAPTIONS)
    ids = tokenizer(CAPTIONS)
    assert torch.equal(batch.ids, ids)
    with torch.no_grad():
        expected_text = F.normalize(model.encode_text(ids), dim=-1)
    assert (adapter.encode_text(batch) - expected_text).abs().max() <= 1e-5
    encoded = Encoder(adapter, RunSettings.resolve("cpu", batch_size=2), progress=False).texts(CAPTIONS)
    assert np.abs(encoded.vectors - expected_text.numpy()).max() <= 1e-5
    assert encoded.truncated[3] and encoded.token_lengths[3] > adapter.context_length

    pixels = torch.stack([preprocess(im) for im in images()])
    assert torch.equal(torch.stack([adapter.preprocess(im) for im in images()]), pixels)
    with torch.no_grad():
        expected_image = F.normalize(model.encode_image(pixels), dim=-1)
    assert (adapter.encode_image(pixels) - expected_image).abs().max() <= 1e-5


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_trimming_is_exact_where_claimed_and_really_differs_where_not(family, folders):
    adapter = load_model(f"local-dir:{folders[family]}")
    batch = adapter.tokenize(CAPTIONS[:3])
    diff = (adapter.encode_text(batch.trimmed()) - adapter.encode_text(batch)).abs().max()
    assert batch.trimmed().ids.shape[1] < batch.ids.shape[1]
    if adapter.text_spec.trim_exact:
        assert diff <= 1e-5
    else:
        assert diff > 1e-3


def test_the_siglip_tokenizer_canonicalises_and_counts_truncation(folders):
    adapter = load_model(f"local-dir:{folders['siglip']}")
    batch = adapter.tokenize(["A Cat, on THE mat!", "word " * 30])
    assert batch.lengths.tolist() == [6, 16] and batch.raw_lengths.tolist() == [6, 31]
    assert batch.ids[0, 5] == 1 and (batch.ids[0, 6:] == 1).all()  # eos, then padding with the same id
    assert "canonicalize" in adapter.provenance.tokenizer


def test_clips_mode_counts_its_three_special_tokens(folders):
    from open_clip.tokenizer import HFTokenizer

    from longbench.adapters.backends.open_clip.tokenizers import OpenClipTokenizer

    tok = HFTokenizer(str(folders["hf-text"]), context_length=8, tokenizer_mode="clips")
    batch = OpenClipTokenizer(tok, "clips")(["a cat", "a cat on the mat by the door"], 8)
    assert torch.equal(batch.ids, tok(["a cat", "a cat on the mat by the door"]))
    assert batch.raw_lengths.tolist() == [5, 11] and batch.truncated.tolist() == [False, True]


def test_a_plain_folder_path_is_an_open_clip_model(folders):
    folder = folders["siglip"]
    adapter = load_model(str(folder))
    assert adapter.provenance.architecture == "siglip" and adapter.provenance.checkpoint_sha256
    assert adapter.provenance.checkpoint.endswith("open_clip_model.safetensors")


def test_a_folder_without_weights_or_config_is_refused(folders, tmp_path):
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    (no_weights / "open_clip_config.json").write_text((folders["clip"] / "open_clip_config.json").read_text())
    with pytest.raises(CheckpointError, match="no weights file"):
        load_model(f"local-dir:{no_weights}")
    with pytest.raises(UnknownNameError, match="not a model folder"):
        load_model(str(tmp_path))
    with pytest.raises(UnknownNameError, match="drop --checkpoint"):
        load_model(f"local-dir:{folders['clip']}", tmp_path / "x.pt")


def test_hf_hub_names_load_through_open_clip(folders, monkeypatch):
    folder = folders["metaclip2"]
    config = json.loads((folder / "open_clip_config.json").read_text())
    monkeypatch.setattr(open_clip.factory, "_get_hf_config", lambda repo, cache_dir=None: config)
    weights = str(folder / "open_clip_model.safetensors")
    monkeypatch.setattr(open_clip.factory, "download_pretrained_from_hf", lambda repo, **_: weights)
    monkeypatch.setattr(open_clip.pretrained, "download_pretrained_from_hf", lambda repo, **_: weights)
    config["model_cfg"]["text_cfg"]["hf_tokenizer_name"] = str(folder)  # the tokenizer's Hub id, here a folder
    adapter = load_model("hf-hub:org/tiny-metaclip2")
    assert adapter.name == "hf-hub:org/tiny-metaclip2" and adapter.provenance.architecture == "org/tiny-metaclip2"
    assert adapter.text_spec.pool == "eos_id" and adapter.text_spec.eos_id == 2
    reference = load_model(f"local-dir:{folder}")
    batch = adapter.tokenize(CAPTIONS)
    assert (adapter.encode_text(batch) - reference.encode_text(batch)).abs().max() == 0


def test_run_end_to_end_on_a_siglip_style_folder(folders, tmp_path):
    from longbench.tasks import get_task

    task = get_task("urban1k")
    task.write_sample(task.root(tmp_path / "data"), 6, seed=1)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", "--model", f"local-dir:{folders['siglip']}", "--name", "tiny-siglip",
                                      "--tasks", "urban1k", "--data-root", str(tmp_path / "data"), "--output",
                                      str(out), "-q", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "tiny-siglip" / "urban1k.json").read_text())
    assert saved["model"]["backend"] == "open_clip"
    assert saved["model"]["text_spec"]["fixed_length"] == 16 and saved["model"]["text_spec"]["trim_exact"] is False
    assert saved["model"]["tokenizer"].startswith("open_clip HFTokenizer")


def test_the_probe_counts_lengths_in_the_model_own_tokens(folders):
    from longbench.bpe import count_tokens
    from longbench.probe import _default_max

    adapter = load_model(f"local-dir:{folders['siglip']}")
    texts = ["word " * 10, "a cat"]
    assert _default_max(adapter, texts, "tokens") == 11 != max(count_tokens(texts))  # 10 words + eos; CLIP BPE: 12
