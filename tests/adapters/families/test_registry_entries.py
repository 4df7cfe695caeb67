"""Registry entries of the long-text field: facts read from open_clip's configs, licences, loading through open_clip,
and models that are listed with the reason they cannot be loaded."""

from __future__ import annotations

import open_clip
import pytest
from typer.testing import CliRunner

from longbench.adapters import MODELS, load_model
from longbench.adapters.core.registry import ModelSpec
from longbench.cli import app
from longbench.errors import CheckpointError


@pytest.mark.parametrize(("name", "context", "resolution", "licence", "load_as"), [
    ("siglip2-B-16-256", 64, 256, "Apache-2.0", "open_clip:ViT-B-16-SigLIP2-256@webli"),
    ("siglip2-So400m-14-378", 64, 378, "Apache-2.0", "open_clip:ViT-SO400M-14-SigLIP2-378@webli"),
    ("metaclip2-H-14", 77, 224, "CC-BY-NC-4.0", "open_clip:ViT-H-14-worldwide-quickgelu@metaclip2_worldwide"),
    ("eva02-clip-B-16", 77, 224, "MIT", "open_clip:EVA02-B-16@merged2b_s8b_b131k"),
    ("eva02-clip-L-14", 77, 224, "MIT", "open_clip:EVA02-L-14@merged2b_s4b_b131k"),
    ("mobileclip2-S0", 77, 256, "Apple ML Research Model Terms of Use", "open_clip:MobileCLIP2-S0@dfndr2b"),
    ("longclip-L", 248, 224, "Apache-2.0", None),
])
def test_entries(name, context, resolution, licence, load_as):
    spec = MODELS.get(name)
    assert (spec.context_length, spec.resolution, spec.licence, spec.load_as) == (context, resolution, licence,
                                                                                  load_as)
    if load_as:
        arch, tag = load_as.removeprefix("open_clip:").split("@")
        assert (arch, tag) in open_clip.list_pretrained()
        assert spec.hf_repo == open_clip.get_pretrained_cfg(arch, tag)["hf_hub"].rstrip("/")


def test_the_metaclip2_h14_entry_uses_the_quickgelu_architecture_its_tag_requires():
    arch, tag = MODELS.get("metaclip2-H-14").load_as.removeprefix("open_clip:").split("@")
    assert open_clip.get_pretrained_cfg(arch, tag)["quick_gelu"] and open_clip.get_model_config(arch)["quick_gelu"]


def test_a_registry_entry_loads_through_its_open_clip_name_with_its_licence(monkeypatch, tmp_path):
    """An entry's load_as name is resolved like a typed name; the result is filed under the entry's name."""
    from longbench.adapters.core.registry import ModelSpec

    spec = ModelSpec(name="tiny-alias", description="d", architecture="tiny", context_length=77,
                     load_as="tiny-clip", licence="CC-BY-NC-4.0")
    monkeypatch.setitem(MODELS._items, "tiny-alias", spec)
    adapter = load_model("tiny-alias")
    assert adapter.name == "tiny-alias" and adapter.provenance.licence == "CC-BY-NC-4.0"


@pytest.fixture
def unloadable(monkeypatch):
    """A model listed with the reason it cannot be loaded (as jina-clip-v2 is)."""
    spec = ModelSpec(name="listed-only", description="d", architecture="a", context_length=77, backend="-",
                     unavailable="its text tower needs the authors' own code: not implemented here")
    monkeypatch.setitem(MODELS._items, spec.name, spec)
    return spec.name


def test_unloadable_models_are_listed_and_refused_with_their_reason(unloadable):
    spec = MODELS.get(unloadable)
    assert spec.unavailable and spec.local_path() is None
    with pytest.raises(CheckpointError, match="cannot be loaded: .*authors' own code"):
        load_model(unloadable)
    result = CliRunner().invoke(app, ["embed", "--model", unloadable, "--text", "a cat"])
    assert result.exit_code == 2 and "cannot be loaded" in result.output


def test_models_table_shows_backend_context_licence_and_presence(unloadable):
    result = CliRunner().invoke(app, ["models"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "siglip2-B-16-256" in line)
    assert "open_clip" in row and " 64 " in row and "256" in row and "Apache-2.0" in row and "missing" in row
    assert f"{unloadable}: not loadable" in result.output
    assert "not loadable" in next(line for line in result.output.splitlines() if line.startswith(f"│ {unloadable}"))
    tulip = next(line for line in result.output.splitlines() if "tulip-L " in line)
    assert "tulip" in tulip and "248" in tulip and "missing" in tulip and "not loadable" not in tulip
