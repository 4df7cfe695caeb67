"""TULIP through `tulip:ARCH[@TAG][#VARIANT]`: tokens, text and image vectors equal what the authors' eval_tulip.py
computes on a tiny model of the same layout (tests/fixtures/tulip/, made by its make.py from the authors' code), for
the RoPE, CoPE and learnable towers, fine-tuned and distillation-stage checkpoints, with and without #lit; the guards
show that plausible wrong implementations differ by far more than the tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import open_clip
import pytest
import torch
from open_clip.transformer import QuickGELU
from PIL import Image
from safetensors.torch import load_file
from typer.testing import CliRunner

from longbench.adapters import MODELS, load_model
from longbench.adapters.backends.tulip import towers
from longbench.adapters.core.registry import ModelSpec
from longbench.cli import app
from longbench.errors import CheckpointError, UnknownNameError, WeightsNotFoundError

FIXTURE = Path(__file__).parents[3] / "fixtures" / "tulip"
REFERENCE = json.loads((FIXTURE / "reference.json").read_text())
CAPTIONS = REFERENCE["captions"]
ARCH = "tulip-fixture"
TOL = 1e-5
#: reference case -> (stored checkpoint, variant)
CASES = {"rope": ("rope", "rope"), "cope": ("cope", "cope"), "learnable-lit": ("learnable", "learnable+lit"),
         "rope-lit": ("rope", "rope+lit")}


def expand(group: str) -> dict[str, torch.Tensor]:
    """make.py's `expand`: float32, token tables repeated from 64 rows to CLIP's 49,408."""
    stored = load_file(FIXTURE / "weights.safetensors")
    return {k.split("/", 1)[1]: v.float().repeat(772, 1) if k.endswith("token_embedding.weight") else v.float()
            for k, v in stored.items() if k.startswith(f"{group}/")}


def save(state: dict[str, torch.Tensor], path: Path) -> Path:
    """As open_clip's training loop saves a checkpoint under DistributedDataParallel."""
    torch.save({"epoch": 1, "name": "fixture", "state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The fixture's checkpoints in the authors' format, its base architecture, and a pretrained tag `fixture` for it
    (QuickGELU, as OpenAI's) whose weights are the base that #lit keeps."""
    out = tmp_path_factory.mktemp("tulip")
    open_clip.add_model_config(FIXTURE / f"{ARCH}.json")
    torch.save(expand("base"), out / "base.pt")
    paths = {group: save(expand(group), out / f"{group}.pt") for group in ("rope", "cope", "learnable")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(open_clip.pretrained._PRETRAINED, ARCH, {"fixture": {"url": "", "hf_hub": "", "quick_gelu": True}})
        mp.setattr(open_clip.pretrained, "download_pretrained", lambda cfg, **_: str(out / "base.pt"))
        yield paths


def model(files, case: str):
    stored, variant = CASES[case]
    return load_model(f"tulip:{ARCH}@fixture#{variant}", files[stored])


def pixels(adapter) -> torch.Tensor:
    return torch.stack([adapter.preprocess(Image.open(FIXTURE / "images" / f"{i}.png")) for i in range(3)])


def differs(ours: torch.Tensor, case: str, key: str = "text") -> float:
    return float((ours - torch.tensor(REFERENCE["cases"][case][key])).abs().max())


@pytest.mark.parametrize("case", list(CASES))
def test_tokens_text_and_images_equal_the_authors(files, case):
    """The authors' ids (CLIP BPE at 248, truncation included), text vectors at 248 and at a 24-token cut (which
    their RoPE/CoPE towers zero-pad to 248) and image vectors through the base's preprocessing."""
    adapter = model(files, case)
    assert adapter.context_length == 248 and adapter.text_spec.trim_exact and adapter.embed_dim == 16
    batch = adapter.tokenize(CAPTIONS)
    for row, ids in zip(batch.ids, REFERENCE["cases"][case]["ids"], strict=True):
        assert row[: len(ids)].tolist() == ids and not row[len(ids):].any()
    assert int(batch.raw_lengths[1]) > 248 and bool(batch.truncated[1])
    assert differs(adapter.encode_text(batch.trimmed()), case) <= TOL
    assert differs(adapter.encode_text(adapter.tokenize(CAPTIONS, REFERENCE["cut"]).trimmed()), case, "text_cut") <= TOL
    assert differs(adapter.encode_image(pixels(adapter)), case, "image") <= TOL


@pytest.mark.parametrize("case", ["rope", "cope", "learnable-lit"])
def test_trimmed_equals_padded_to_the_context(files, case):
    """What the text spec claims (causal, pooled at EOT): a batch cut after its longest caption, one caption at a
    time, and the batch padded to 248 give the same vectors."""
    adapter = model(files, case)
    batch = adapter.tokenize(CAPTIONS)
    padded = adapter.encode_text(batch.padded(248))
    assert (adapter.encode_text(batch.trimmed()) - padded).abs().max() <= TOL
    singles = torch.cat([adapter.encode_text(batch.select([i]).trimmed()) for i in range(len(batch))])
    assert (singles - padded).abs().max() <= TOL


def test_guard_the_text_towers_use_gelu(files):
    """The authors' towers keep open_clip's default GELU, although OpenAI's base was trained with QuickGELU."""
    adapter = model(files, "rope")
    for block in adapter.text.transformer.resblocks:
        block.mlp.gelu = QuickGELU()
    assert differs(adapter.encode_text(adapter.tokenize(CAPTIONS).trimmed()), "rope") > 1e-3


def test_guard_rope_is_the_plain_table_not_the_fine_tuning_ntk_one(files, monkeypatch):
    """main_context_finetune_rope.py trains with an NTK-scaled table (scaling 8, 231 over 248 positions); the
    evaluation builds the plain one, and so does longbench."""
    adapter = model(files, "rope")

    def ntk(head_dim, length):
        scaled = towers.ROPE_THETA * ((8 * 231 / 248) - 7) ** (head_dim / (head_dim - 2))
        inv = 1.0 / (scaled ** (torch.arange(0, head_dim, 2)[: head_dim // 2].float() / head_dim))
        angles = torch.outer(torch.arange(length, dtype=torch.float32), inv)
        return torch.polar(torch.ones_like(angles), angles)

    monkeypatch.setattr(towers, "rope_table", ntk)
    assert differs(adapter.encode_text(adapter.tokenize(CAPTIONS).trimmed()), "rope") > 1e-3


def test_guard_cope_scales_its_logits_twice(files, monkeypatch):
    adapter = model(files, "cope")
    monkeypatch.setattr(towers.math, "sqrt", lambda _: 1.0)
    assert differs(adapter.encode_text(adapter.tokenize(CAPTIONS).trimmed()), "cope") > 1e-3


def test_guard_lit_keeps_the_base_image_tower_and_the_tag_its_activation(files):
    """#lit reads the base's image tower, not the checkpoint's; the tag's QuickGELU matters for the image tower."""
    assert differs(model(files, "rope").encode_image(pixels(model(files, "rope"))), "rope-lit", "image") > 1e-3
    assert differs(model(files, "rope-lit").encode_image(pixels(model(files, "rope"))), "rope", "image") > 1e-3
    adapter = model(files, "rope")
    for module in adapter.image.modules():
        for name, child in module.named_children():
            if isinstance(child, QuickGELU):
                setattr(module, name, torch.nn.GELU())
    assert differs(adapter.encode_image(pixels(adapter)), "rope", "image") > 1e-3


def test_checkpoints_of_another_layout_are_refused_naming_the_tensors(files, tmp_path):
    with pytest.raises(CheckpointError, match=r"not a TULIP cope checkpoint .*missing 10 tensor\(s\): "
                                              r"transformer\.resblocks\.0\.attn\.cope\.pos_emb"):
        load_model(f"tulip:{ARCH}#cope", files["rope"])
    with pytest.raises(CheckpointError, match=r"holds no image tower \(visual\.\*\).*#learnable\+lit"):
        load_model(f"tulip:{ARCH}#learnable", files["learnable"])
    extra = save({**expand("rope"), "text.head.weight": torch.zeros(2)}, tmp_path / "extra.pt")
    with pytest.raises(CheckpointError, match=r"unexpected 1 tensor\(s\): text\.head\.weight"):
        load_model(f"tulip:{ARCH}", extra)
    with pytest.raises(CheckpointError, match=r"shapes do not fit: positional_embedding \(77, 16\)"):
        load_model(f"tulip:{ARCH}#learnable", save(expand("base"), tmp_path / "clip.pt"))  # a 77-token CLIP
    state = expand("rope")
    state["text_projection"] = torch.zeros(16, 8)
    with pytest.raises(CheckpointError, match=r"shapes do not fit: text_projection \(16, 8\) \(expected \(16, 16\)\)"):
        load_model(f"tulip:{ARCH}", save(state, tmp_path / "narrow.pt"))


def test_names_are_checked_before_anything_loads(files):
    with pytest.raises(UnknownNameError, match="one of rope, cope, learnable, optionally with \\+lit"):
        load_model(f"tulip:{ARCH}#alibi", files["rope"])
    with pytest.raises(UnknownNameError, match="one of rope, cope, learnable"):
        load_model(f"tulip:{ARCH}#rope+cope", files["rope"])
    with pytest.raises(UnknownNameError, match="name its weights, tulip:tulip-fixture@TAG#rope\\+lit"):
        load_model(f"tulip:{ARCH}#lit", files["rope"])
    with pytest.raises(UnknownNameError, match="--checkpoint FILE"):
        load_model(f"tulip:{ARCH}")
    with pytest.raises(UnknownNameError, match="no architecture 'ViT-Q-99'"):
        load_model("tulip:ViT-Q-99", files["rope"])


def test_provenance_says_which_towers(files):
    info = model(files, "learnable-lit").provenance
    assert info.backend == "tulip" and info.context_length == 248 and info.pos_embed_kind == "custom248"
    assert "learnable text tower" in info.architecture and "tulip-fixture@fixture's own" in info.source
    assert info.text_spec["trim_exact"] and info.tokenizer == "clip-bpe"
    assert model(files, "cope").provenance.pos_embed_kind is None


@pytest.mark.parametrize("name", ["tulip-L", "tulip-B"])
def test_registry_entries_resolve_their_file_and_say_where_it_is_from(name, tmp_path, monkeypatch):
    spec = MODELS.get(name)
    assert spec.backend == "tulip" and spec.context_length == 248 and spec.licence == "Apache-2.0"
    assert spec.load_file_as.startswith("tulip:ViT-") and spec.load_file_as.endswith("@openai")
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(tmp_path))
    with pytest.raises(WeightsNotFoundError) as err:
        load_model(name)
    message = str(err.value)
    assert "https://huggingface.co/mderakhshani/TULIP" in message and str(tmp_path / f"{name}.pt") in message
    assert "not downloaded" in message and "\n" not in message


def test_a_registry_entry_loads_its_file_through_the_prefix(files, tmp_path, monkeypatch):
    """What tulip-L does with ViT-L-14@openai, on the fixture: the weights folder's file, filed under the entry."""
    spec = ModelSpec(name="tulip-tiny", description="d", architecture=ARCH, context_length=248, backend="tulip",
                     load_file_as=f"tulip:{ARCH}@fixture", hf_repo="mderakhshani/TULIP", licence="Apache-2.0")
    monkeypatch.setitem(MODELS._items, "tulip-tiny", spec)
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(tmp_path))
    (tmp_path / "tulip-tiny.pt").write_bytes(files["rope"].read_bytes())
    adapter = load_model("tulip-tiny")
    assert adapter.name == "tulip-tiny" and adapter.provenance.licence == "Apache-2.0"
    assert differs(adapter.encode_text(adapter.tokenize(CAPTIONS).trimmed()), "rope") <= TOL
    assert load_model("tulip-tiny", files["rope"]).provenance.checkpoint == str(files["rope"])


def test_the_cli_embeds_with_a_tulip_checkpoint(files):
    result = CliRunner().invoke(app, ["embed", "--model", f"tulip:{ARCH}#cope", "--checkpoint", str(files["cope"]),
                                      "--text", "a dog"])
    assert result.exit_code == 0, result.output
    assert "context 248" in result.output
    bad = CliRunner().invoke(app, ["embed", "--model", f"tulip:{ARCH}#cope", "--checkpoint", str(files["rope"]),
                                   "--text", "a dog"])
    assert bad.exit_code == 2 and "missing 10 tensor(s)" in bad.output
