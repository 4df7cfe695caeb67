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
    """Each row: the normalised mean, then the summed variance the authors' retrieval logit subtracts."""
    rows = model.encode_text(model.tokenize(CAPTIONS))
    assert (rows[:, :-1] - reference("text_mean")).abs().max() <= TOL
    assert torch.allclose(rows[:, -1], reference("text_std").exp().sum(-1), rtol=1e-4, atol=0)


def test_image_means_and_uncertainties_equal_the_authors(model):
    rows = model.encode_image(torch.stack([model.preprocess(im) for im in images()]))
    assert (rows[:, :-1] - reference("image_mean")).abs().max() <= TOL
    assert torch.allclose(rows[:, -1], reference("image_std").exp().sum(-1), rtol=1e-4, atol=0)


def test_retrieval_ranks_by_the_authors_uncertainty_aware_logit_and_zero_shot_by_the_means(model):
    """naver-ai/prolip `run_ret`: logits_per_image = mean_i @ mean_t.T - s_t / 2, logits_per_text = its transpose -
    s_i / 2, ranked by a stable argsort; the csd scoring's rows give the same order in both directions."""
    from longbench.adapters.core.scoring import scoring_of
    from longbench.metrics.retrieval import retrieval_ranks

    texts = model.encode_text(model.tokenize(CAPTIONS)).numpy().astype(np.float64)
    pictures = model.encode_image(torch.stack([model.preprocess(im) for im in images()])).numpy().astype(np.float64)
    gt = np.arange(len(CAPTIONS)) % len(pictures)
    scoring = scoring_of(model)
    assert model.provenance.scoring == scoring.name == "csd"
    ranks = retrieval_ranks(*scoring.ranking_pair(pictures.astype(np.float32), texts.astype(np.float32)), gt)
    per_image = pictures[:, :-1] @ texts[:, :-1].T - texts[:, -1][None, :] / 2
    per_text = per_image.T + texts[:, -1][:, None] / 2 - pictures[:, -1][None, :] / 2
    authors_t2i = np.argsort(-per_text, axis=1, kind="stable")
    assert ranks.t2i.tolist() == [int(np.where(row == g)[0][0]) for row, g in zip(authors_t2i, gt, strict=True)]
    authors_i2t = np.argsort(-per_image, axis=1, kind="stable")
    expected_i2t = [min(int(np.where(authors_i2t[i] == t)[0][0]) for t in np.where(gt == i)[0])
                    for i in range(len(pictures))]
    assert ranks.i2t.tolist() == expected_i2t
    # the cosine of the means alone ranks differently here (the variances matter), so the test can tell them apart
    plain = retrieval_ranks(pictures[:, :-1].astype(np.float32), texts[:, :-1].astype(np.float32), gt)
    assert plain.pair_i2t.tolist() != ranks.pair_i2t.tolist() or plain.t2i.tolist() != ranks.t2i.tolist()
    assert scoring.means(texts).shape[1] == texts.shape[1] - 1


def test_the_encoder_pads_to_the_context_and_matches_the_authors(model):
    spec = model.text_spec
    assert (spec.causal, spec.pad_masked, spec.pool, spec.fixed_length, spec.trim_exact) == (False, False, "last", 20,
                                                                                            False)
    encoded = Encoder(model, RunSettings.resolve("cpu", batch_size=2), progress=False).texts(CAPTIONS)
    assert np.abs(encoded.vectors[:, :-1] - reference("text_mean").numpy()).max() <= TOL
    assert encoded.truncated.tolist() == [False, True, True, True, False, False, False]


def test_a_shorter_cut_is_padded_back_to_the_context(model):
    """The length probe cuts captions shorter; the tower still reads 20 positions, [CLS] at row 21."""
    short = model.tokenize(CAPTIONS[1:2], context_length=8)
    assert short.ids.shape[1] == 8 and short.ids[0, 7] == 1  # `</s>` kept last
    assert model.encode_text(short).shape == (1, 17)
    with torch.no_grad():
        mean, _ = model.towers.text(short.ids)  # at width 8, [CLS] would sit on row 9
    assert (F.normalize(mean, dim=-1) - model.encode_text(short)[:, :-1]).abs().max() > 1e-2


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


def test_a_run_scores_retrieval_by_csd_and_zero_shot_by_the_means(tmp_path):
    """`longbench run`: urban1k's recalls equal a brute-force ranking by the authors' logit (from the model's rows),
    cifar10's top-1 a classifier built from the means alone; the result records the scoring."""
    from PIL import Image

    from longbench.artifacts.results import read_result
    from longbench.datasets import LoadOptions
    from longbench.prompts import resolve_prompts
    from longbench.tasks import get_task
    from tests.helpers.samples import write_samples
    from tests.reference_metrics import brute_force

    data = write_samples(tmp_path / "data", "urban1k,cifar10", 8, seed=2)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", "--model", NAME, "-t", "urban1k,cifar10", "--data-root", str(data),
                                      "-o", str(out), "-q", "--no-cache"])
    assert result.exit_code == 0, result.output
    model = load_model(NAME)
    measured, cifar = (next(read_result(p) for p in out.rglob(f"{t}.json")) for t in ("urban1k", "cifar10"))
    assert measured.model.scoring == cifar.model.scoring == "csd"

    def task(name):
        return get_task(name).load(get_task(name).root(data), LoadOptions())

    def image_rows(images):  # files, or CIFAR's uint8 arrays
        pictures = [Image.fromarray(p) if isinstance(p, np.ndarray) else Image.open(p) for p in images]
        return np.stack([model.encode_image(model.preprocess(p.convert("RGB"))[None])[0].numpy()
                         for p in pictures]).astype(np.float64)

    urban = task("urban1k")
    rows_i, rows_t = image_rows(urban.images), model.encode_text(model.tokenize(urban.texts)).numpy()
    # the authors' logit as one matrix: mean_i . mean_t - (s_i + s_t) / 2 (the own term is constant per query)
    images = np.concatenate([rows_i[:, :-1], np.ones((len(rows_i), 1)), -rows_i[:, -1:] / 2], axis=1)
    texts = np.concatenate([rows_t[:, :-1], -rows_t[:, -1:] / 2, np.ones((len(rows_t), 1))], axis=1)
    for k in (1, 5, 10):
        i2t, t2i = brute_force(images, texts, urban.text_to_image, k)
        assert (measured.metrics[f"i2t_r{k}"], measured.metrics[f"t2i_r{k}"]) == (pytest.approx(i2t),
                                                                                pytest.approx(t2i))

    labelled = task("cifar10")
    prompts = resolve_prompts(labelled.default_prompts, "cifar10", labelled.classnames,
                              default=labelled.default_prompts)
    weights = []
    for name in prompts.classnames:
        means = model.encode_text(model.tokenize(prompts.texts(name))).numpy()[:, :-1]
        mean = (means / np.linalg.norm(means, axis=1, keepdims=True)).mean(0)
        weights.append(mean / np.linalg.norm(mean))
    pictures = image_rows(labelled.images)[:, :-1]
    predicted = (pictures @ np.stack(weights).T).argmax(1)
    assert cifar.metrics["acc1"] == pytest.approx(100 * np.mean(predicted == labelled.labels))


def test_no_captions_give_an_empty_batch_of_the_context_width(model):
    batch = model.tokenize([])
    assert batch.ids.shape == (0, 20) and len(batch.lengths) == len(batch.raw_lengths) == 0
    assert batch.pad_id == model.tokenizer.pad_id
