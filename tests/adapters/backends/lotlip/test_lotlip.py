"""LoTLIP through `lotlip:ARCH[#bert=SOURCE]`: tokens, text and image vectors equal what the authors' open_clip fork
computes on a tiny model of the same layout (tests/fixtures/lotlip/, made by its make.py with transformers 4.39.3);
the guards show that plausible wrong implementations differ by far more than the tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from torchvision.transforms import Normalize

from longbench.adapters import MODELS, load_model
from longbench.adapters.backends.lotlip import loading, model
from longbench.adapters.core import weights as weights_mod
from longbench.errors import CheckpointError, UnknownNameError, WeightsNotFoundError

FIXTURE = Path(__file__).parents[3] / "fixtures" / "lotlip"
REFERENCE = json.loads((FIXTURE / "reference.json").read_text())
CAPTIONS = REFERENCE["captions"]
CHECKPOINT = FIXTURE / "model.pt"
BERT = FIXTURE / "bert-base-uncased"
TOL = 1e-5
#: make.py's lotlip_fixture: vit_base_patch16_224 at toy sizes, 32 tokens.
ARCH = loading.LotlipArch("vit_base_patch16_224", image_size=32, context_length=32,
                          timm_kwargs={"img_size": 32, "patch_size": 8, "embed_dim": 16, "depth": 2, "num_heads": 2})


@pytest.fixture
def arch(monkeypatch):
    monkeypatch.setitem(loading.ARCHS._items, "fixture", ARCH)
    return f"lotlip:fixture#bert={BERT}"


def pixels(adapter) -> torch.Tensor:
    return torch.stack([adapter.preprocess(Image.open(FIXTURE / "images" / f"{i}.png")) for i in range(3)])


def differs(ours: torch.Tensor, key: str = "text") -> float:
    return float((ours - torch.tensor(REFERENCE[key])).abs().max())


def test_tokens_text_and_images_equal_the_authors(arch):
    """The fork's ids ([SEP] for '. ', corner tokens, whitespace cleaning, uncased WordPiece, truncation at 32), the
    text vectors at 32 tokens and at a 12-token cut, and the image vectors through its timm preprocessing."""
    adapter = load_model(arch, CHECKPOINT)
    assert adapter.context_length == 32 and adapter.text_spec.trim_exact and adapter.embed_dim == 16
    batch = adapter.tokenize(CAPTIONS)
    for row, ids in zip(batch.ids, REFERENCE["ids"], strict=True):
        assert row[: len(ids)].tolist() == ids and not row[len(ids):].any()
    assert bool(batch.truncated[4]) and not bool(batch.truncated[0])
    assert differs(adapter.encode_text(batch.trimmed())) <= TOL
    assert differs(adapter.encode_text(adapter.tokenize(CAPTIONS, REFERENCE["cut"]).trimmed()), "text_cut") <= TOL
    assert differs(adapter.encode_image(pixels(adapter)), "image") <= TOL


def test_trimmed_equals_padded_to_the_context(arch):
    """What the text spec claims (padding masked for every position, [CLS] pooled)."""
    adapter = load_model(arch, CHECKPOINT)
    batch = adapter.tokenize(CAPTIONS)
    padded = adapter.encode_text(batch)
    short = batch.select([0, 3, 5, 6])  # without the captions that fill 32 tokens
    assert short.ids.shape[1] == 32 and short.trimmed().ids.shape[1] < 32
    assert (adapter.encode_text(short.trimmed()) - adapter.encode_text(short)).abs().max() <= TOL
    singles = torch.cat([adapter.encode_text(batch.select([i]).trimmed()) for i in range(len(batch))])
    assert (singles - padded).abs().max() <= TOL


def test_guard_the_corner_mask_matters(arch, monkeypatch):
    """With only the padding masked (BERT's usual mask), [CLS] would read the corner tokens: other vectors."""
    adapter = load_model(arch, CHECKPOINT)
    monkeypatch.setattr(model, "corner_mask",
                        lambda ids, pad, corners: ids.ne(pad)[:, None, :].repeat(1, ids.shape[1], 1))
    assert differs(adapter.encode_text(adapter.tokenize(CAPTIONS).trimmed())) > 1e-3


def test_guard_the_tokenizer_separates_sentences_and_prepends_the_corners(arch):
    adapter = load_model(arch, CHECKPOINT)
    tok = adapter.tokenizer
    assert tok.prepare("A cat.  Two dogs. Three") == "[Corner0] [Corner1]A cat[SEP] Two dogs[SEP]Three"
    plain = tok.hf(CAPTIONS[1:2], return_tensors="pt")["input_ids"]  # no corners, no [SEP] for ". "
    with torch.no_grad():
        vector = torch.nn.functional.normalize(adapter.text(plain), dim=-1)[0]
    assert float((vector - torch.tensor(REFERENCE["text"][1])).abs().max()) > 1e-3


def test_guard_images_are_normalised_with_timms_half_not_clips_statistics(arch):
    adapter = load_model(arch, CHECKPOINT)
    norm = next(step for step in adapter.preprocess.transforms if isinstance(step, Normalize))
    assert tuple(norm.mean) == (0.5,) * 3 and tuple(norm.std) == (0.5,) * 3
    norm.mean, norm.std = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
    assert differs(adapter.encode_image(pixels(adapter)), "image") > 1e-3


def test_checkpoints_of_another_layout_are_refused_naming_the_tensors(arch, tmp_path):
    state = torch.load(CHECKPOINT, weights_only=True)["state_dict"]
    extra = dict(state, **{"module.text.corner_head.weight": torch.zeros(2)})
    torch.save({"state_dict": extra}, tmp_path / "extra.pt")
    with pytest.raises(CheckpointError, match=r"not a LoTLIP fixture checkpoint: unexpected 1 tensor\(s\): "
                                              r"text\.corner_head\.weight"):
        load_model(arch, tmp_path / "extra.pt")
    torch.save({k: v for k, v in state.items() if "pooler" not in k}, tmp_path / "no_pooler.pt")
    with pytest.raises(CheckpointError, match=r"missing 2 tensor\(s\): text\.transformer\.pooler\.dense\.bias"):
        load_model(arch, tmp_path / "no_pooler.pt")
    words = "module.text.transformer.embeddings.word_embeddings.weight"
    torch.save(dict(state, **{words: state[words][:-2]}), tmp_path / "no_corners.pt")
    with pytest.raises(CheckpointError, match=r"shapes do not fit: transformer\.embeddings\.word_embeddings\.weight "
                                              r"\(110, 16\) \(expected \(112, 16\)\)"):
        load_model(arch, tmp_path / "no_corners.pt")


def test_names_are_checked_before_anything_loads(arch):
    with pytest.raises(UnknownNameError, match="only variant is #bert="):
        load_model("lotlip:ViT-B-16#corners=3", CHECKPOINT)
    with pytest.raises(UnknownNameError, match="unknown LoTLIP architecture 'ViT-L-14'"):
        load_model("lotlip:ViT-L-14", CHECKPOINT)
    with pytest.raises(UnknownNameError, match="--checkpoint FILE"):
        load_model(arch)


def test_provenance_records_the_tokenizer_and_its_source(arch):
    info = load_model(arch, CHECKPOINT).provenance
    assert info.backend == "lotlip" and info.context_length == 32 and info.text_spec["pool"] == "cls"
    assert str(BERT) in info.tokenizer and "2 corner tokens" in info.tokenizer


def test_the_default_bert_is_pinned():
    arch, bert = loading.parse("ViT-B-16")
    assert arch == "ViT-B-16" and bert.startswith("google-bert/bert-base-uncased@") and len(bert.split("@")[1]) == 40


@pytest.mark.parametrize(("name", "load_file_as", "repo", "revision"), [
    ("lotlip-B", "lotlip:ViT-B-16", "weiwu-ww/LoTLIP-ViT-B-16-100M", None),
    ("lotlip-B-32", "lotlip:ViT-B-32", "weiwu-ww/LoTLIP-ViT-B-32-100M", "88b07ce7dfb333334371b8345f3593517f31efe6"),
])
def test_registry_entries_download_model_pt_at_their_pin(name, load_file_as, repo, revision, monkeypatch):
    spec = MODELS.get(name)
    assert (spec.backend, spec.context_length, spec.resolution, spec.hf_filename) == ("lotlip", 128, 224, "model.pt")
    assert spec.load_file_as == load_file_as and "CC-BY-4.0" in spec.licence
    monkeypatch.delenv("LONGBENCH_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(weights_mod, "local_weights", lambda *a: None)
    calls = []

    def no_network(repo_id, filename, revision=None):
        calls.append((repo_id, filename, revision))
        raise OSError("no network here")

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_network)
    with pytest.raises(WeightsNotFoundError, match="download failed \\(no network here\\)"):
        load_model(name)
    assert calls == [(repo, "model.pt", revision)]


def test_no_captions_give_an_empty_batch_of_the_context_width(arch):
    batch = load_model(arch, CHECKPOINT).tokenize([])
    assert batch.ids.shape == (0, 32) and len(batch.lengths) == len(batch.raw_lengths) == 0
