"""Registry entries of the transformers backend: facts, how they load, and why the opt-in ones do not by name."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from longbench.adapters import MODELS, load_model
from longbench.cli import app
from longbench.errors import CheckpointError
from tests.adapters import hf_tiny

pytest.importorskip("transformers")


@pytest.mark.parametrize(("name", "repo", "context", "resolution", "licence"), [
    ("longclip-L-hf", "zer0int/LongCLIP-L-Diffusers", 248, 224, "unstated on the card (a conversion of Long-CLIP-L, "
                                                                "Apache-2.0)"),
    ("longclip-gmp-L", "zer0int/LongCLIP-GmP-ViT-L-14", 248, 224, "none stated on the card"),
    ("siglip2-B-16-224-hf", "google/siglip2-base-patch16-224", 64, 224, "Apache-2.0"),
    ("siglip2-So400m-16-384-hf", "google/siglip2-so400m-patch16-384", 64, 384, "Apache-2.0"),
    ("siglip2-B-16-naflex-hf", "google/siglip2-base-patch16-naflex", 64, None, "Apache-2.0"),
    ("metaclip2-worldwide-b32-hf", "facebook/metaclip-2-worldwide-b32", 77, 224, "CC-BY-NC-4.0"),
    ("metaclip2-worldwide-huge-378-hf", "facebook/metaclip-2-worldwide-huge-378", 77, 378, "CC-BY-NC-4.0"),
])
def test_transformers_entries(name, repo, context, resolution, licence):
    spec = MODELS.get(name)
    assert (spec.backend, spec.load_as, spec.context_length, spec.resolution, spec.licence) == (
        "transformers", f"hf:{repo}", context, resolution, licence)


@pytest.mark.parametrize(("name", "reason"), [
    ("fgclip-base", r"hf:qihoo360/fg-clip-base@<40-hex commit>\[#long\] --trust-remote-code"),
    ("fgclip2-large", r"hf:qihoo360/fg-clip2-large@<40-hex commit>\[#long\] --trust-remote-code"),
    ("jina-clip-v2", "jinaai/jina-clip-implementation"),
    ("llm2clip-Openai-L-14-336", r"hf:microsoft/LLM2CLIP-Openai-L-14-336@<40-hex commit> --trust-remote-code"),
    ("llm2clip-EVA02-L-14-336", "runs without its code"),
])
def test_remote_code_entries_say_how_or_why_not(name, reason):
    with pytest.raises(CheckpointError, match=reason):
        load_model(name)
    result = CliRunner().invoke(app, ["embed", "--model", name, "--text", "a"])
    assert result.exit_code == 2 and "cannot be loaded" in result.output


def test_a_plain_folder_with_a_transformers_config_loads_through_this_backend(tmp_path):
    folder = hf_tiny.save_metaclip2(tmp_path / "mc2")
    model = load_model(str(folder))
    assert model.provenance.backend == "transformers" and model.provenance.architecture == "MetaClip2Model"
