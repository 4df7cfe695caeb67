"""Knowledge-preserved stretching (docs/protocols.md, "Models") and its linear baseline."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.adapters.core.stretch import detect_stretch, pos_embed_kind, stretch_table, stretched_length
from longbench.cli import app


@pytest.fixture
def old() -> torch.Tensor:
    return torch.randn(77, 16, generator=torch.Generator().manual_seed(0))


def test_kps_rows_follow_the_formulas(old):
    new = stretch_table(old)
    assert new.shape == (248, 16)
    assert torch.equal(new[:20], old[:20])
    for j in range(20, 76):
        for k in range(4):
            expected = (1 - k / 4) * old[j] + (k / 4) * old[j + 1]
            assert torch.allclose(new[20 + 4 * (j - 20) + k], expected, atol=1e-6)
    for k in range(4):
        assert torch.allclose(new[244 + k], old[76] + k * (old[76] - old[75]) / 4, atol=1e-6)


@pytest.mark.parametrize("keep,ratio", [(10, 2), (20, 3), (30, 5), (1, 4)])
def test_other_keep_and_ratio_values(old, keep, ratio):
    new = stretch_table(old, keep=keep, ratio=ratio)
    assert new.shape[0] == stretched_length(77, keep, ratio) == keep + (77 - keep) * ratio
    assert torch.equal(new[:keep], old[:keep])
    assert torch.allclose(new[keep + ratio * 10], old[keep + 10], atol=1e-6)  # k = 0 rows are old rows
    assert torch.allclose(new[-1], old[76] + (ratio - 1) * (old[76] - old[75]) / ratio, atol=1e-6)


def test_linear_is_plain_interpolation(old):
    new = stretch_table(old, "linear")
    # In float64: float32 interpolate computes its source positions with ~1e-5 error near the end.
    expected = torch.nn.functional.interpolate(old.double().T[None], size=248, mode="linear", align_corners=False)
    assert torch.allclose(new.double(), expected[0].T, atol=1e-6)


def test_detection_names_each_kind(old):
    assert detect_stretch(stretch_table(old)) == "kps"
    assert detect_stretch(stretch_table(old, "linear")) == "linear"
    assert detect_stretch(torch.randn(248, 16)) is None
    assert pos_embed_kind(old, has_res=False) == "clip77"
    assert pos_embed_kind(torch.randn(248, 16), has_res=True) == "longclip248"


def test_bad_parameters(old):
    with pytest.raises(ValueError, match="keep"):
        stretch_table(old, keep=80)
    with pytest.raises(ValueError, match="unknown stretch method"):
        stretch_table(old, "cubic")


@pytest.mark.parametrize("method,kind", [("kps", "kps-stretched"), ("linear", "linear-stretched")])
def test_stretch_command_writes_a_longclip_checkpoint(method, kind, tmp_path):
    out = tmp_path / f"{method}.pt"
    result = CliRunner().invoke(app, ["stretch", "--model", "tiny-clip", "--method", method, "--out", str(out)])
    assert result.exit_code == 0, result.output
    state = torch.load(out, weights_only=True)
    assert state["positional_embedding"].shape[0] == 248
    assert torch.equal(state["positional_embedding"], state["positional_embedding_res"])
    stretched = load_model(None, out)
    assert stretched.provenance.pos_embed_kind == kind
    assert stretched.context_length == 248


def test_short_captions_embed_identically_after_kps(tmp_path):
    out = tmp_path / "s.pt"
    assert CliRunner().invoke(app, ["stretch", "-m", "tiny-clip", "-o", str(out)]).exit_code == 0
    base, stretched = load_model("tiny-clip"), load_model(None, out)
    captions = ["a cat", "a small brown dog sleeping on a red sofa near the window"]
    ids = base.tokenize(captions)
    assert int(ids.lengths.max()) <= 20
    assert torch.equal(base.encode_text(ids.trimmed()), stretched.encode_text(stretched.tokenize(captions).trimmed()))


def test_stretched_prefix_on_the_fly():
    adapter = load_model("stretched:tiny-clip")
    assert adapter.context_length == 248
    assert adapter.provenance.pos_embed_kind == "kps-stretched"
    assert load_model("stretched-linear:tiny-clip").provenance.pos_embed_kind == "linear-stretched"


def test_stretching_a_long_model_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["stretch", "-m", "tiny-longclip", "-o", str(tmp_path / "x.pt")])
    assert result.exit_code == 2
    assert "77-row positional table, this one has 248 rows" in result.output
    assert not (tmp_path / "x.pt").exists()
