"""The transformers backend on tiny random checkpoints: our tokens and embeddings equal the library's own calls."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.cli import app
from longbench.errors import MissingDependencyError
from tests.adapters import hf_tiny

pytest.importorskip("transformers")
transformers = sys.modules["transformers"]

SHORT = ["A photo of a dog.", "two cats", "an aerial view of a harbour with many boats, at dusk"]
LONG = ["the quick brown fox jumps over the lazy dog " * 12]
TEXTS = SHORT + LONG


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("hf")
    return {"clip": hf_tiny.save_clip(base / "clip"), "siglip": hf_tiny.save_siglip(base / "siglip"),
            "metaclip_2": hf_tiny.save_metaclip2(base / "metaclip2"),
            "siglip2": hf_tiny.save_siglip2(base / "siglip2")}


def library(folder, cls: str):
    return (getattr(transformers, cls).from_pretrained(folder).eval(),
            transformers.AutoTokenizer.from_pretrained(folder), transformers.AutoImageProcessor.from_pretrained(folder))


def library_text(model, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out = model.get_text_features(input_ids=ids)
    out = out if isinstance(out, torch.Tensor) else out.pooler_output
    return torch.nn.functional.normalize(out, dim=-1)


def images(n: int = 3) -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (40 + 7 * i, 50, 3), dtype=np.uint8)) for i in range(n)]


@pytest.mark.parametrize("family,cls", [("clip", "CLIPModel"), ("siglip", "SiglipModel"),
                                        ("metaclip_2", "MetaClip2Model"), ("siglip2", "Siglip2Model")])
def test_embeddings_equal_the_library_on_its_own_tokens(folders, family, cls):
    ours = load_model(f"hf:{folders[family]}")
    model, tok, proc = library(folders[family], cls)
    length = ours.context_length
    assert length == model.config.text_config.max_position_embeddings  # not the tokenizer's model_max_length
    # transformers 5's Siglip2Tokenizer pads on the left (4.x's on the right); the model was trained right-padded.
    tok.padding_side = "right"
    theirs = tok(TEXTS, padding="max_length", max_length=length, truncation=True, return_tensors="pt")["input_ids"]
    batch = ours.tokenize(TEXTS)
    assert torch.equal(batch.ids, theirs)  # right padding, specials kept on truncation
    assert batch.raw_lengths.tolist() == [len(ids) for ids in tok(TEXTS)["input_ids"]]  # counted, not silent
    assert batch.truncated.tolist()[-1] and not batch.truncated.tolist()[0]
    assert (ours.encode_text(batch) - library_text(model, theirs)).abs().max() <= 1e-5

    pixels = torch.stack([ours.preprocess(im) for im in images()])
    inputs = proc(images=images(), return_tensors="pt")
    with torch.no_grad():
        expected = model.get_image_features(**inputs)
    expected = torch.nn.functional.normalize(expected if isinstance(expected, torch.Tensor) else
                                             expected.pooler_output, dim=-1)
    assert (ours.encode_image(pixels) - expected).abs().max() <= 1e-5


@pytest.mark.parametrize("family,pool", [("clip", "eot_argmax"), ("metaclip_2", "eos_id")])
def test_causal_towers_trim_exactly(folders, family, pool):
    ours = load_model(f"hf:{folders[family]}")
    assert ours.text_spec.causal and ours.text_spec.pool == pool and ours.text_spec.trim_exact
    batch = ours.tokenize(SHORT)
    assert int(batch.lengths.max()) < ours.context_length
    assert (ours.encode_text(batch.trimmed()) - ours.encode_text(batch)).abs().max() <= 1e-5


def test_siglip_is_padded_to_its_trained_length_and_never_trimmed(folders):
    ours = load_model(f"hf:{folders['siglip']}")
    spec = ours.text_spec
    assert (spec.causal, spec.pool, spec.fixed_length, spec.trim_exact) == (False, "last", 16, False)
    batch = ours.tokenize(SHORT[:2])
    assert int(batch.lengths.max()) < 16
    # The tower attends its padding and reads the last position: a trimmed batch would change the output ...
    model, _, _ = library(folders["siglip"], "SiglipModel")
    assert (library_text(model, batch.trimmed().ids) - ours.encode_text(batch)).abs().max() > 1e-3
    # ... so a narrower batch handed to the adapter is padded back to 16 first.
    assert torch.equal(ours.encode_text(batch.trimmed()), ours.encode_text(batch))
    # A shorter probe context truncates there and still pads to 16.
    short = ours.tokenize(LONG, context_length=8)
    assert short.ids.shape == (1, 16) and int(short.lengths[0]) == 8


def test_clip_with_an_eos_token_id_pools_there(tmp_path):
    folder = hf_tiny.save_clip(tmp_path / "clip", eos_token_id=49407)
    ours = load_model(f"hf:{folder}")
    assert ours.text_spec.pool == "eos_id" and ours.text_spec.eos_id == 49407
    model, tok, _ = library(folder, "CLIPModel")
    theirs = tok(SHORT, padding="max_length", max_length=77, truncation=True, return_tensors="pt")["input_ids"]
    assert (ours.encode_text(ours.tokenize(SHORT)) - library_text(model, theirs)).abs().max() <= 1e-5


def test_tower_state_splits_the_weights_by_tower(folders):
    ours = load_model(f"hf:{folders['clip']}")
    text, image = ours.tower_state("text"), ours.tower_state("image")
    assert "text_projection.weight" in text and "text_model.embeddings.position_embedding.weight" in text
    assert "visual_projection.weight" in image and not set(text) & set(image)
    assert set(text) | set(image) | {"logit_scale"} == set(ours.model.state_dict())


def test_provenance_names_backend_tokenizer_and_rules(folders):
    info = load_model(f"hf:{folders['siglip']}").provenance
    assert info.architecture == "SiglipModel" and info.context_length == 16
    assert info.backend == "transformers" and info.revision is None and "local folder" in info.source
    assert "suffix [1]" in info.tokenizer and "right padding with 1" in info.tokenizer
    assert info.text_spec == {"causal": False, "pad_masked": False, "pool": "last", "pad_id": 1, "eos_id": 1,
                              "fixed_length": 16, "trim_exact": False}


def test_without_transformers_the_error_says_how_to_install(folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # what `import transformers` sees when not installed
    with pytest.raises(MissingDependencyError, match=r'pip install "longbench\[hf\]"'):
        load_model(f"hf:{folders['clip']}")
    result = CliRunner().invoke(app, ["embed", "--model", f"hf:{folders['clip']}", "--text", "a cat", "--out",
                                      str(folders["clip"].parent / "v.npy")])
    assert result.exit_code == 2
    assert 'pip install "longbench[hf]"' in result.output and "Traceback" not in result.output


def test_a_folder_without_config_or_an_unknown_name_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["embed", "--model", f"hf:{tmp_path}", "--text", "a", "--out",
                                      str(tmp_path / "v.npy")])
    assert result.exit_code == 2 and "no config.json" in result.output
    with pytest.raises(Exception, match="expected hf:ORG/REPO"):
        load_model("hf:not-a-repo-name")
    result = CliRunner().invoke(app, ["embed", "--model", "hf:some-org/not-in-the-cache", "--text", "a"])
    assert result.exit_code == 2 and "could not get the checkpoint" in result.output  # offline: one line


def test_a_plain_checkpoint_loads_without_our_warnings(folders):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_model(f"hf:{folders['clip']}")
    assert not [w for w in seen if "longbench" in str(w.filename)]


def test_run_end_to_end_on_sample_data_with_a_local_folder(folders, tmp_path):
    """`longbench run` with an hf: folder; every recall equals brute force on the library's own embeddings."""
    from longbench.artifacts.results import read_result
    from longbench.datasets import LoadOptions
    from longbench.tasks import get_task
    from tests.reference_metrics import brute_force

    task = get_task("urban1k")
    task.write_sample(task.root(tmp_path / "data"), 6, seed=1)
    result = CliRunner().invoke(app, ["run", "--model", f"hf:{folders['siglip']}", "--tasks", "urban1k",
                                      "--data-root", str(tmp_path / "data"), "--output", str(tmp_path / "out"),
                                      "--batch-size", "4", "-q", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "out").rglob("urban1k.json")
    res = read_result(path)
    assert res.model.architecture == "SiglipModel" and res.model.context_length == 16
    assert res.truncation.n_truncated > 0  # Urban1k captions are far longer than 16 tokens: counted
    assert res.model.backend == "transformers" and res.model.text_spec["fixed_length"] == 16

    model, tok, proc = library(folders["siglip"], "SiglipModel")
    ds = task.load(task.root(tmp_path / "data"), LoadOptions())
    ids = tok(list(ds.texts), padding="max_length", max_length=16, truncation=True, return_tensors="pt")["input_ids"]
    texts = library_text(model, ids).numpy()
    with torch.no_grad():
        out = model.get_image_features(**proc(images=[Image.open(p).convert("RGB") for p in ds.images],
                                              return_tensors="pt"))
    imgs = torch.nn.functional.normalize(out if isinstance(out, torch.Tensor) else out.pooler_output, dim=-1)
    for k in (1, 5):
        i2t, t2i = brute_force(imgs.numpy(), texts, ds.text_to_image, k)
        assert res.metrics[f"i2t_r{k}"] == pytest.approx(i2t, abs=1e-9)
        assert res.metrics[f"t2i_r{k}"] == pytest.approx(t2i, abs=1e-9)


def test_weights_that_do_not_cover_the_model_are_refused(tmp_path):
    """transformers would initialise the missing tensor at random and only log it."""
    from safetensors.torch import load_file, save_file

    folder = hf_tiny.save_clip(tmp_path / "clip")
    state = load_file(folder / "model.safetensors")
    del state["text_projection.weight"]
    save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    result = CliRunner().invoke(app, ["embed", "--model", f"hf:{folder}", "--text", "a", "--out",
                                      str(tmp_path / "v.npy")])
    assert result.exit_code == 2 and "1 missing" in result.output and "text_projection.weight" in result.output
