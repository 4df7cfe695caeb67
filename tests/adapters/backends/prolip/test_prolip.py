"""ProLIP / LongProLIP through the prolip backend, against what the authors' own code computed on a tiny random model
in their Hub layout (tests/fixtures/prolip/, made by its make.py with naver-ai/prolip at 59f6324): the same token
ids, text and image means within 1e-5, the same uncertainties; and guards showing that plausible wrong readings of
their towers (trimming, one ln_post, the [UNC] output as the text uncertainty, no cleaning) miss by far more."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from longbench.adapters import MODELS, load_model
from longbench.adapters.backends.prolip.tokenizer import CLEANERS
from longbench.cli import app
from longbench.encode import Encoder
from longbench.errors import CheckpointError, UnknownNameError, WeightsNotFoundError
from longbench.settings import RunSettings

pytest.importorskip("transformers")

FIXTURE = Path(__file__).parents[3] / "fixtures" / "prolip"
REFERENCE = json.loads((FIXTURE / "reference.json").read_text())
CAPTIONS = REFERENCE["captions"]
NAME = f"prolip:{FIXTURE / 'model'}#tokenizer={FIXTURE / 'tokenizer'}"
TOL = 1e-5


def images():
    from tests.fixtures.prolip.make import images as made

    return made()


@pytest.fixture(scope="module")
def model():
    return load_model(NAME)


def reference(key: str) -> torch.Tensor:
    return torch.tensor(REFERENCE[key])


def test_token_ids_equal_the_authors_tokenizer(model):
    batch = model.tokenize(CAPTIONS)
    assert torch.equal(batch.ids, reference("ids"))
    assert batch.raw_lengths.tolist() == [5, 42, 96, 30, 1, 1, 15] and model.context_length == 20
    assert batch.lengths.tolist() == [5, 20, 20, 20, 1, 1, 15]
    # without the authors' cleaning (case, punctuation, `_`, `&amp;`) the ids differ
    raw = model.tokenizer.tokenizer(CAPTIONS, max_length=20, padding="max_length", truncation=True,
                                    return_tensors="pt").input_ids
    assert not torch.equal(raw[1], batch.ids[1]) and not torch.equal(raw[3], batch.ids[3])


def test_text_means_and_uncertainties_equal_the_authors(model):
    batch = model.tokenize(CAPTIONS)
    assert (model.encode_text(batch) - reference("text_mean")).abs().max() <= TOL
    expected = reference("text_std").exp().sum(-1)
    assert torch.allclose(model.uncertainty("text", batch), expected, rtol=1e-4, atol=0)


def test_image_means_and_uncertainties_equal_the_authors(model):
    pixels = torch.stack([model.preprocess(im) for im in images()])
    assert (model.encode_image(pixels) - reference("image_mean")).abs().max() <= TOL
    expected = reference("image_std").exp().sum(-1)
    assert torch.allclose(model.uncertainty("image", pixels), expected, rtol=1e-4, atol=0)


def test_the_encoder_pads_to_the_context_and_matches_the_authors(model):
    spec = model.text_spec
    assert (spec.causal, spec.pad_masked, spec.pool, spec.fixed_length, spec.trim_exact) == (False, False, "last", 20,
                                                                                            False)
    encoded = Encoder(model, RunSettings.resolve("cpu", batch_size=2), progress=False).texts(CAPTIONS)
    assert np.abs(encoded.vectors - reference("text_mean").numpy()).max() <= TOL
    assert encoded.truncated.tolist() == [False, True, True, True, False, False, False]


def test_a_shorter_cut_is_padded_back_to_the_context(model):
    """The length probe cuts captions shorter; the tower still reads 20 positions, [CLS] at row 21."""
    short = model.tokenize(CAPTIONS[1:2], context_length=8)
    assert short.ids.shape[1] == 8 and short.ids[0, 7] == 1  # `</s>` kept last
    assert model.encode_text(short).shape == (1, 16)
    with torch.no_grad():
        mean, _ = model.towers.text(short.ids)  # at width 8, [CLS] would sit on row 9
    assert (F.normalize(mean, dim=-1) - model.encode_text(short)).abs().max() > 1e-2


def test_guards_plausible_misreadings_of_the_towers_miss_by_far_more_than_the_tolerance(model):
    short = [0, 4, 5, 6]  # the captions that fit: trimming cuts their batch to 15 positions
    trimmed = model.tokenize([CAPTIONS[i] for i in short]).trimmed()
    assert trimmed.ids.shape[1] == 15
    with torch.no_grad():
        mean, _ = model.towers.text(trimmed.ids)
    assert (F.normalize(mean, dim=-1) - reference("text_mean")[short]).abs().max() > 1e-2

    batch = model.tokenize(CAPTIONS)

    text = model.towers.text
    with torch.no_grad():  # the [UNC] output as the text uncertainty, instead of the projected mean's
        x = torch.cat([text.token_embedding(batch.ids), text.unc_emb.expand(len(batch), 1, -1),
                       text.cls_emb.expand(len(batch), 1, -1)], dim=1)
        x = text.transformer(x + text.positional_embedding)
        unc_token = text.text_uncertainty_projection(x[:, -2])
    assert (unc_token - reference("text_std")).abs().max() > 1e-1

    visual = model.towers.visual
    pixels = torch.stack([model.preprocess(im) for im in images()])
    with torch.no_grad():  # ln_post once (open_clip's ViT), not twice as the authors' tower does
        x = visual.conv1(pixels).flatten(2).transpose(1, 2)
        tokens = [visual.class_embedding.expand(len(x), 1, -1), visual.unc_embedding.expand(len(x), 1, -1), x]
        x = visual.ln_post(visual.transformer(visual.ln_pre(torch.cat(tokens, 1) + visual.positional_embedding)))
        once = F.normalize(x[:, 0] @ visual.proj, dim=-1)
    assert (once - reference("image_mean")).abs().max() > 1e-2


def test_the_cleaning_is_the_authors_rule():
    assert CLEANERS["canonicalize"]("A_Photo, of &amp; TWO\tcats!!") == "a photo of two cats"
    assert CLEANERS["lower"]("A  Photo,\nOf") == "a photo, of"
    assert CLEANERS["whitespace"]("A  Photo,\nOf") == "A Photo, Of"


def test_provenance_names_the_backend_tokenizer_and_files(model):
    info = model.provenance
    assert info.backend == "prolip" and info.context_length == 20 and info.pos_embed_kind is None
    assert "clean=canonicalize" in info.tokenizer and str(FIXTURE / "tokenizer") in info.tokenizer
    assert info.text_spec == model.text_spec.to_dict() and info.checkpoint.endswith("model.safetensors")
    assert set(model.tower_state("image")) and all(k.startswith("visual.") for k in model.tower_state("image"))
    assert all(k.startswith("text.") for k in model.tower_state("text"))


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(FIXTURE / "model", folder)
    return folder


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s.pop("text.unc_emb"), "missing text.unc_emb"),
    (lambda s: s.update({"text.extra": torch.zeros(1)}), "unexpected text.extra"),
    (lambda s: s.update({"text.positional_embedding": torch.zeros(64, 16)}),
     r"text.positional_embedding has shape \(64, 16\), .*config.json implies \(22, 16\)"),
])
def test_a_checkpoint_off_the_layout_is_refused_naming_the_tensor(tmp_path, edit, message):
    state = load_file(str(FIXTURE / "model" / "model.safetensors"))
    edit(state)
    path = tmp_path / "bad.safetensors"
    save_file(state, str(path))
    with pytest.raises(CheckpointError, match=message):
        load_model(NAME, checkpoint=path)


def test_checkpoint_replaces_the_weights_file(tmp_path):
    state = load_file(str(FIXTURE / "model" / "model.safetensors"))
    path = tmp_path / "same.safetensors"
    save_file(state, str(path))
    assert load_model(NAME, checkpoint=path).provenance.checkpoint == str(path)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c["text_cfg"].update(no_causal_mask=False), "text_cfg.no_causal_mask = False is not supported"),
    (lambda c: c["vision_cfg"].update(pool_type="avg"), "vision_cfg.pool_type = 'avg' is not supported"),
    (lambda c: c.update(custom_text=True), "not a ProLIP config.json .unexpected key 'custom_text'"),
    (lambda c: c["text_cfg"].update(tokenizer_kwargs={"clean": "canonicalize", "strip_sep_token": True}),
     "tokenizer_kwargs.strip_sep_token = True is not supported"),
])
def test_a_config_this_backend_does_not_run_is_refused(tmp_path, edit, message):
    folder = _copy(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=message):
        load_model(f"prolip:{folder}#tokenizer={FIXTURE / 'tokenizer'}")


def test_a_config_without_a_tokenizer_is_refused_as_the_authors_refuse_it(tmp_path):
    folder = _copy(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    del config["text_cfg"]["hf_tokenizer_name"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="names no tokenizer"):
        load_model(f"prolip:{folder}")


def test_only_a_tokenizer_variant_is_understood():
    with pytest.raises(UnknownNameError, match="#tokenizer=ORG/REPO"):
        load_model(f"prolip:{FIXTURE / 'model'}#long")


def test_the_config_tokenizer_is_pinned_and_offline_gives_one_line(monkeypatch):
    """Without #tokenizer, the config's timm/ViT-B-16-SigLIP is fetched at its pinned commit: offline, one line."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")
    with pytest.raises(WeightsNotFoundError, match="hf:timm/ViT-B-16-SigLIP@41f575766f40e752fdd1383e9565b7f02388c1c4"):
        load_model(f"prolip:{FIXTURE / 'model'}")


@pytest.mark.parametrize(("name", "context", "resolution", "repo"), [
    ("prolip-B-16", 64, 224, "SanghyukChun/ProLIP-ViT-B-16-DC-1B-12_8B"),
    ("longprolip-B-16-S24M", 256, 224, "SanghyukChun/LongProLIP-ViT-B-16-S24M"),
    ("longprolip-B-16-SHD128M", 256, 224, "SanghyukChun/LongProLIP-ViT-B-16-SHD128M"),
    ("prolip-L-16", 64, 256, "SanghyukChun/ProLIP-ViT-L-16-FT-DC-1B-1_28B"),
    ("prolip-So400m-14", 64, 224, "SanghyukChun/ProLIP-ViT-SO400M-14-FT-DC-1B-1_28B"),
])
def test_registry_entries(name, context, resolution, repo):
    spec = MODELS.get(name)
    assert (spec.context_length, spec.resolution, spec.licence, spec.backend) == (context, resolution, "MIT", "prolip")
    assert spec.load_as.startswith(f"prolip:{repo}") and spec.hf_repo == repo and not spec.unavailable


def test_registry_entries_load_offline_with_one_line(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")
    result = CliRunner().invoke(app, ["embed", "--model", "longprolip-B-16-S24M", "--text", "a cat"])
    assert result.exit_code == 2 and "SanghyukChun/LongProLIP-ViT-B-16-S24M" in result.output
    assert "Traceback" not in result.output


def test_the_h14_entry_is_listed_with_why_it_cannot_load():
    spec = MODELS.get("prolip-H-14")
    assert spec.unavailable and "simple tokenizer is not supported" in spec.unavailable
    with pytest.raises(CheckpointError, match="cannot be loaded"):
        load_model("prolip-H-14")


def test_the_cli_embeds_with_the_fixture():
    result = CliRunner().invoke(app, ["embed", "--model", NAME, "--text", "a dog"])
    assert result.exit_code == 0, result.output
