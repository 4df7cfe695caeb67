"""Remote code: refused without the opt-in and a pin; with both, the repository's own code runs (local folder)."""

from __future__ import annotations

import json
import re
import sys

import pytest
import torch
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.adapters.backends.remote.loading import check_pin, code_digest
from longbench.adapters.core.hf_source import Source
from longbench.cli import app
from longbench.errors import RemoteCodeError
from tests.adapters import hf_tiny

pytest.importorskip("transformers")
transformers = sys.modules["transformers"]

#: A tiny stand-in for FG-CLIP's modelling file: a CLIPModel subclass with a second (long-text) projection selected
#: by `walk_short_pos`, which is the call the FG-CLIP family maps.
MODELING = '''
from torch import nn
from transformers import CLIPModel


class FGCLIPModel(CLIPModel):
    def __init__(self, config):
        super().__init__(config)
        self.text_filip_projection = nn.Linear(config.text_config.hidden_size, config.projection_dim, bias=False)
        self.post_init()

    def get_text_features(self, input_ids=None, walk_short_pos=True):
        pooled = self.text_model(input_ids=input_ids).pooler_output
        return (self.text_projection if walk_short_pos else self.text_filip_projection)(pooled)

    def get_image_features(self, pixel_values=None):
        return self.visual_projection(self.vision_model(pixel_values=pixel_values).pooler_output)
'''
CAPTIONS = ["a photo of a dog", "the quick brown fox jumps over the lazy dog " * 12]


@pytest.fixture(scope="module")
def remote_folder(tmp_path_factory):
    folder = hf_tiny.save_clip(tmp_path_factory.mktemp("fgclip"), positions=248, eos_token_id=49407)
    (folder / "modeling_fgclip.py").write_text(MODELING)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["architectures"] = ["FGCLIPModel"]
    cfg["auto_map"] = {"AutoModelForCausalLM": "modeling_fgclip.FGCLIPModel"}
    (folder / "config.json").write_text(json.dumps(cfg))
    torch.manual_seed(1)  # the saved CLIP weights lack the second head: load, initialise it, save the whole model
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)
    with torch.no_grad():  # explicitly: transformers 4.x leaves a missing tensor uninitialised
        model.text_filip_projection.weight.normal_(std=0.2)
    model.save_pretrained(folder, safe_serialization=True)
    return folder


def authors(folder, texts, length: int, walk_short_pos: bool) -> torch.Tensor:
    """The authors' evaluation calls, run directly."""
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True).eval()
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    ids = torch.tensor(tok(texts, max_length=length, padding="max_length", truncation=True).input_ids)
    with torch.no_grad():
        return torch.nn.functional.normalize(model.get_text_features(ids, walk_short_pos=walk_short_pos), dim=-1)


def test_refused_without_the_flag(remote_folder):
    with pytest.raises(RemoteCodeError, match="--trust-remote-code"):
        load_model(f"hf:{remote_folder}")
    result = CliRunner().invoke(app, ["embed", "--model", f"hf:{remote_folder}", "--text", "a", "--out",
                                      str(remote_folder.parent / "v.npy")])
    assert result.exit_code == 2 and "--trust-remote-code" in result.output and "Traceback" not in result.output


def test_refused_without_a_pin_or_with_a_wrong_one(remote_folder):
    digest = code_digest(remote_folder)
    with pytest.raises(RemoteCodeError, match=f"no pin .* its code digest is {digest}"):
        load_model(f"hf:{remote_folder}", trust_remote_code=True)
    with pytest.raises(RemoteCodeError, match="does not match"):
        load_model(f"hf:{remote_folder}@{'0' * 40}", trust_remote_code=True)


def test_a_hub_repo_needs_a_commit_not_a_branch(remote_folder):
    source = Source("hf:org/repo@main", remote_folder, "org/repo", "main")
    with pytest.raises(RemoteCodeError, match="40-hex"):
        check_pin("org/repo@main", source)
    assert check_pin(f"org/repo@{'a' * 40}", source) == "a" * 40


def test_code_from_another_repository_is_refused(tmp_path, remote_folder):
    folder = tmp_path / "foreign"
    folder.mkdir()
    for path in remote_folder.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoModel": "someone/implementation--modeling.FGCLIPModel"}
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(RemoteCodeError, match="another repository"):
        load_model(f"hf:{folder}@{code_digest(folder)}", trust_remote_code=True)


@pytest.mark.parametrize("mode,length,short", [("short", 77, True), ("long", 248, False)])
def test_pinned_and_trusted_runs_the_authors_calls(remote_folder, mode, length, short):
    pin = code_digest(remote_folder)
    ours = load_model(f"hf:{remote_folder}@{pin}#{mode}", trust_remote_code=True)
    assert type(ours.model).__name__ == "FGCLIPModel"  # the folder's own code ran
    assert ours.context_length == length and ours.text_spec.fixed_length == length  # padded as the authors do
    batch = ours.tokenize(CAPTIONS)
    assert batch.ids.shape == (2, length) and bool(batch.truncated[1]) == (length == 77)
    expected = authors(remote_folder, CAPTIONS, length, short)
    assert (ours.encode_text(batch) - expected).abs().max() <= 1e-5
    assert (ours.encode_text(batch.trimmed()) - expected).abs().max() <= 1e-5  # run at the authors' width anyway
    info = ours.provenance
    assert info.backend == "transformers-remote-code" and info.revision == pin and "--trust-remote-code" in info.source


def test_an_unknown_mode_is_one_line(remote_folder):
    with pytest.raises(Exception, match="no mode 'medium'"):
        load_model(f"hf:{remote_folder}@{code_digest(remote_folder)}#medium", trust_remote_code=True)


def test_the_cli_flag_with_a_pin_runs_it(remote_folder, tmp_path):
    name = f"hf:{remote_folder}@{code_digest(remote_folder)}#long"
    result = CliRunner().invoke(app, ["embed", "--model", name, "--text", "a cat", "--out", str(tmp_path / "v.npy")])
    assert result.exit_code == 2 and "--trust-remote-code" in result.output
    result = CliRunner().invoke(app, ["embed", "--model", name, "--trust-remote-code", "--text", "a cat", "--out",
                                      str(tmp_path / "v.npy")])
    assert result.exit_code == 0, result.output


def test_a_model_no_family_reads_is_told_so_first(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertModel"]}))
    for trust in (False, True):
        with pytest.raises(RemoteCodeError, match=r"no longbench family reads BertModel \(transformers backend: "
                                                  r"clip, .*; with --trust-remote-code: FGCLIPModel"):
            load_model(f"hf:{tmp_path}", trust_remote_code=trust)


@pytest.mark.parametrize("config,message", [
    ([{"model_type": "clip"}], r"config\.json: expected a JSON object \(a transformers config\), found list"),
    ({"model_type": "clip", "text_config": "clip"}, r"config\.json: expected 'text_config' to be a JSON object, "
                                                    r"found str"),
])
def test_a_config_of_another_shape_is_one_line(tmp_path, config, message):
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = CliRunner().invoke(app, ["embed", "--model", f"hf:{tmp_path}", "--text", "a", "--out",
                                      str(tmp_path / "v.npy")])
    assert result.exit_code == 2 and re.search(message, " ".join(result.output.split())), result.output
    assert "Traceback" not in result.output


def test_remote_code_that_fails_after_it_ran_is_one_line(remote_folder, monkeypatch):
    def authors_code_fails(*args, **kwargs):  # what the repository's code raises when it does not fit the family
        raise AttributeError("'FGCLIPModel' object has no attribute 'walk'")
    monkeypatch.setattr("longbench.adapters.backends.remote.fgclip.build", authors_code_fails)
    with pytest.raises(RemoteCodeError, match=r"its code ran but the model does not fit longbench's FGCLIPModel "
                                              r"family \(AttributeError: 'FGCLIPModel' object has no attribute"):
        load_model(f"hf:{remote_folder}@{code_digest(remote_folder)}", trust_remote_code=True)
