"""LLM2CLIP through the remote-code backend: the CLIP side's own code runs, the LLM's text path is ours
(llm2vec_text.py), and the text vectors equal what the real llm2vec 0.2.3 computed on the same tiny LLM
(tests/fixtures/llm2vec/, made by its make.py), passed through the CLIP side's `get_text_features` as the
authors do."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.adapters.backends.remote import llm2vec_text
from longbench.adapters.backends.remote.loading import code_digest
from longbench.cli import app
from longbench.errors import CheckpointError, RemoteCodeError, UnknownNameError
from tests.adapters import hf_tiny
from tests.adapters.backends.remote.standins import picture, standin

pytest.importorskip("transformers")
transformers = sys.modules["transformers"]

FIXTURE = Path(__file__).parents[3] / "fixtures" / "llm2vec"
REFERENCE = json.loads((FIXTURE / "reference.json").read_text())
CAPTIONS = REFERENCE["captions"]

#: A tiny stand-in for the CLIP side's modelling file: a CLIPModel whose get_text_features maps an LLM vector
#: through an adapter (the call the LLM2CLIP family makes), with the authors' get_image_features.
MODELING = '''
from torch import nn
from transformers import CLIPModel

try:
    from .configuration_llm2clip import LLM2CLIPConfig
except ImportError:  # the test's reference imports this file on its own
    from configuration_llm2clip import LLM2CLIPConfig


class LLM2CLIPModel(CLIPModel):
    config_class = LLM2CLIPConfig

    def __init__(self, config):
        super().__init__(config)
        self.text_adapter = nn.Sequential(nn.Linear(config.llm_hidden_size, 32), nn.GELU(),
                                          nn.Linear(32, config.projection_dim))
        self.post_init()

    def get_text_features(self, inputs):
        return self.text_adapter(inputs)
'''
CONFIGURATION = '''
from transformers import CLIPConfig


class LLM2CLIPConfig(CLIPConfig):
    model_type = "llm2clip"

    def __init__(self, llm_hidden_size=16, **kwargs):
        super().__init__(**kwargs)
        self.llm_hidden_size = llm_hidden_size
'''


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    """The CLIP side as the LLM2CLIP repositories hold it: remote code and a pickled pytorch_model.bin."""
    out = tmp_path_factory.mktemp("llm2clip")
    (out / "modeling_llm2clip.py").write_text(MODELING)
    (out / "configuration_llm2clip.py").write_text(CONFIGURATION)
    modeling = standin(out, "modeling_llm2clip")
    torch.manual_seed(0)
    config = modeling.LLM2CLIPConfig(text_config=dict(hf_tiny.TEXT, vocab_size=64, bos_token_id=0, eos_token_id=1),
                                     vision_config=hf_tiny.VISION,
                                     projection_dim=16)
    model = modeling.LLM2CLIPModel(config).eval()
    with torch.no_grad():  # explicitly: transformers 4.x may leave new layers uninitialised
        for layer in (model.text_adapter[0], model.text_adapter[2]):
            layer.weight.normal_(std=0.3)
    config.save_pretrained(out)
    torch.save(model.state_dict(), out / "pytorch_model.bin")  # save_pretrained in transformers 5 writes safetensors
    cfg = json.loads((out / "config.json").read_text())
    cfg.update(architectures=["LLM2CLIPModel"], auto_map={"AutoConfig": "configuration_llm2clip.LLM2CLIPConfig",
                                                          "AutoModel": "modeling_llm2clip.LLM2CLIPModel"})
    (out / "config.json").write_text(json.dumps(cfg))
    assert (out / "pytorch_model.bin").exists() and not list(out.glob("*.safetensors"))
    return out


def name(folder: Path, llm: Path | str = FIXTURE / "model") -> str:
    return f"hf:{folder}@{code_digest(folder)}#llm={llm}"


def authors_clip(folder: Path):
    modeling = standin(folder, "modeling_llm2clip")
    model = modeling.LLM2CLIPModel(modeling.LLM2CLIPConfig.from_pretrained(folder))
    model.load_state_dict(torch.load(folder / "pytorch_model.bin", weights_only=True))
    return model.eval()


def expected_text(folder: Path, length: int) -> torch.Tensor:
    """llm2vec's vectors (reference.json) through the CLIP side's get_text_features, normalised."""
    with torch.no_grad():
        out = authors_clip(folder).get_text_features(torch.tensor(REFERENCE["vectors"][str(length)]))
    return torch.nn.functional.normalize(out, dim=-1)


@pytest.mark.parametrize("length", [512, 24])
def test_text_equals_llm2vec_then_the_adapter(clip_folder, length):
    """At the authors' max_length and at a cut (the probe's): the tokens, the pooled span and the bidirectional
    pass all match llm2vec, the 24-token cut included, where LLM2Vec's span covers the whole row."""
    ours = load_model(name(clip_folder), trust_remote_code=True)
    assert ours.context_length == 512 and ours.text_spec.trim_exact
    batch = ours.tokenize(CAPTIONS, length)
    assert (ours.encode_text(batch.trimmed()) - expected_text(clip_folder, length)).abs().max() <= 1e-5
    one_by_one = torch.cat([ours.encode_text(batch.select([i]).trimmed()) for i in range(len(batch))])
    assert (one_by_one - expected_text(clip_folder, length)).abs().max() <= 1e-5


def test_trimmed_equals_padded_to_the_context(clip_folder):
    ours = load_model(name(clip_folder), trust_remote_code=True)
    batch = ours.tokenize(CAPTIONS)
    assert batch.ids.shape[1] == 512 and batch.trimmed().ids.shape[1] < 100
    assert (ours.encode_text(batch.trimmed()) - ours.encode_text(batch)).abs().max() <= 1e-5


def test_the_bidirectional_pass_and_the_span_matter():
    """Guards for the two rules the reference pins down: a causal pass, or a mean over every kept token (the chat
    header included), gives other vectors."""
    llm = transformers.LlamaModel.from_pretrained(FIXTURE / "model").eval()
    tok = transformers.AutoTokenizer.from_pretrained(FIXTURE / "model")
    batch = llm2vec_text.tokenize(tok, CAPTIONS[:2], 512).trimmed()
    reference = torch.tensor(REFERENCE["vectors"]["512"][:2])
    with torch.no_grad():
        ours = llm2vec_text.encode(llm, batch)
        causal = llm(input_ids=batch.left_aligned(), attention_mask=batch.left_aligned().ne(batch.pad_id).long())
        everything = llm2vec_text.encode(llm, llm2vec_text.TokenBatch(batch.ids, batch.lengths, batch.raw_lengths,
                                                                      batch.pad_id, batch.lengths))
    assert (ours - reference).abs().max() <= 1e-5
    assert (causal.last_hidden_state[:, -3:].mean(1)[0] - reference[0]).abs().max() > 1e-3
    assert (everything - reference).abs().max() > 1e-3


def test_tokens_follow_llm2vec():
    """The chat wrap around the caption (trailing whitespace stripped), BOS from the tokenizer, the span counted on
    the caption plus <|eot_id|> alone, and LLM2Vec's separator splitting a caption that holds it."""
    tok = transformers.AutoTokenizer.from_pretrained(FIXTURE / "model")
    assert llm2vec_text.llm2vec_texts("a dog  ") == (llm2vec_text.HEADER + "a dog<|eot_id|>", "a dog<|eot_id|>")
    assert llm2vec_text.llm2vec_texts("a!@#$%^&*()b") == (llm2vec_text.HEADER + "ab<|eot_id|>", "a")
    batch = llm2vec_text.tokenize(tok, ["a dog", "a photo " * 40], 24)
    row = batch.ids[0, :batch.lengths[0]].tolist()
    assert row == tok(llm2vec_text.HEADER + "a dog<|eot_id|>")["input_ids"] and row[0] == tok.bos_token_id
    assert batch.pool_lengths[0] == len(tok("a dog<|eot_id|>", add_special_tokens=False)["input_ids"])
    assert batch.lengths[1] == 24 and batch.raw_lengths[1] > 24 and batch.truncated.tolist() == [False, True]


def test_images_equal_the_openai_processor_and_the_authors_call(clip_folder):
    """`CLIPImageProcessor.from_pretrained("openai/clip-vit-...")` holds this config (at the tower's size)."""
    ours = load_model(name(clip_folder), trust_remote_code=True)
    processor = transformers.CLIPImageProcessor(crop_size=32, size=32, resample=3, do_center_crop=True,
                                                do_normalize=True, do_resize=True,
                                                image_mean=[0.48145466, 0.4578275, 0.40821073],
                                                image_std=[0.26862954, 0.26130258, 0.27577711])
    images = [picture(1, (40, 24)), picture(2, (24, 64))]
    with torch.no_grad():
        out = authors_clip(clip_folder).get_image_features(processor(images=images, return_tensors="pt").pixel_values)
    expected = torch.nn.functional.normalize(out if isinstance(out, torch.Tensor) else out.pooler_output, dim=-1)
    got = ours.encode_image(torch.stack([ours.preprocess(im) for im in images]))
    assert (got - expected).abs().max() <= 1e-5


def test_provenance_names_both_repositories(clip_folder):
    ours = load_model(name(clip_folder), trust_remote_code=True)
    info = ours.provenance
    assert info.backend == "transformers-remote-code" and info.revision == code_digest(clip_folder)
    assert str(FIXTURE / "model") in info.source and "its code not run" in info.source
    assert "LLM2Vec" in info.tokenizer and "<|eot_id|>" in info.tokenizer
    assert info.text_spec["pool"] == "mean" and info.text_spec["pad_masked"] and not info.text_spec["causal"]
    text, image = ours.tower_state("text"), ours.tower_state("image")
    assert any(k.startswith("llm.layers.") for k in text) and not any(k.startswith("llm.") for k in image)
    assert any(k.startswith("text_adapter.") for k in text) and any(k.startswith("vision_model.") for k in image)


def test_refusals_are_one_line(clip_folder, tmp_path):
    with pytest.raises(RemoteCodeError, match="--trust-remote-code"):
        load_model(name(clip_folder))
    with pytest.raises(UnknownNameError, match="name the LLM"):
        load_model(f"hf:{clip_folder}@{code_digest(clip_folder)}", trust_remote_code=True)
    with pytest.raises(UnknownNameError, match="#llm=ORG/REPO"):
        load_model(f"hf:{clip_folder}@{code_digest(clip_folder)}#long", trust_remote_code=True)
    not_llama = tmp_path / "not-llama"
    shutil.copytree(FIXTURE / "model", not_llama)
    cfg = json.loads((not_llama / "config.json").read_text())
    (not_llama / "config.json").write_text(json.dumps(dict(cfg, model_type="mistral")))
    with pytest.raises(CheckpointError, match="found 'mistral'"):
        load_model(name(clip_folder, not_llama), trust_remote_code=True)


def test_an_llm_without_llama3_specials_or_with_missing_weights_is_refused(clip_folder, tmp_path):
    from safetensors.torch import load_file, save_file

    partial = tmp_path / "partial"
    shutil.copytree(FIXTURE / "model", partial)
    weights = load_file(partial / "model.safetensors")
    del weights["layers.1.mlp.up_proj.weight"]
    save_file(weights, partial / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="1 missing"):
        load_model(name(clip_folder, partial), trust_remote_code=True)
    plain = tmp_path / "plain"
    shutil.copytree(FIXTURE / "model", plain)
    for path in plain.glob("*token*"):
        path.unlink()
    hf_tiny.bpe_tokenizer(plain, ["<pad>", "<s>", "</s>", "<unk>"], "<s> $A </s>", pad="<pad>", eos="</s>", bos="<s>")
    with pytest.raises(CheckpointError, match="no <\\|start_header_id\\|>, <\\|end_header_id\\|>, <\\|eot_id\\|>"):
        load_model(name(clip_folder, plain), trust_remote_code=True)


def test_run_end_to_end_on_sample_data(clip_folder, tmp_path):
    """`longbench run` with the opt-in: recalls equal brute force on the model's embeddings, caption by caption."""
    from longbench.artifacts.results import read_result
    from longbench.datasets import LoadOptions
    from longbench.tasks import get_task
    from tests.reference_metrics import brute_force

    task = get_task("urban1k")
    task.write_sample(task.root(tmp_path / "data"), 6, seed=1)
    result = CliRunner().invoke(app, ["run", "--model", name(clip_folder), "--trust-remote-code", "--tasks",
                                      "urban1k", "--data-root", str(tmp_path / "data"), "--output",
                                      str(tmp_path / "out"), "--batch-size", "4", "-q", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "out").rglob("urban1k.json")
    res = read_result(path)
    assert res.model.backend == "transformers-remote-code" and res.model.context_length == 512
    ours = load_model(name(clip_folder), trust_remote_code=True)
    ds = task.load(task.root(tmp_path / "data"), LoadOptions())
    tokens = ours.tokenize(list(ds.texts))
    texts = torch.cat([ours.encode_text(tokens.select([i]).trimmed()) for i in range(len(tokens))]).numpy()
    images = ours.encode_image(torch.stack([ours.preprocess(Image.open(p).convert("RGB")) for p in ds.images]))
    for k in (1, 5):
        i2t, t2i = brute_force(images.numpy(), texts, ds.text_to_image, k)
        assert res.metrics[f"i2t_r{k}"] == pytest.approx(i2t, abs=1e-9)
        assert res.metrics[f"t2i_r{k}"] == pytest.approx(t2i, abs=1e-9)


def test_bf16_autocast_runs_the_text_path(clip_folder):
    """`--precision bf16` (the authors run the LLM in bfloat16): the float32 mask works under autocast, and the
    vectors are close to, not equal to, float32's."""
    from longbench.encode import Encoder
    from longbench.settings import RunSettings

    ours = load_model(name(clip_folder), trust_remote_code=True)
    bf16 = Encoder(ours, RunSettings.resolve("cpu", precision="bf16"), progress=False).texts(CAPTIONS).vectors
    fp32 = Encoder(ours, RunSettings.resolve("cpu", precision="fp32"), progress=False).texts(CAPTIONS).vectors
    assert abs(bf16 - fp32).max() < 0.1 and abs(bf16 - fp32).max() > 0
