"""The same weights through every supported container give the same embeddings; bad files fail in one line."""

from __future__ import annotations

import logging
import os
import pickle
import re

import pytest
import torch
from safetensors.torch import save_file

from longbench.adapters import load_model
from longbench.adapters.backends.open_clip.build import build_model
from longbench.adapters.core.checkpoint_files import infer_architecture, read_checkpoint
from longbench.adapters.families.tiny import TINY
from longbench.errors import CheckpointError

CAPTIONS = ["a red bus parked beside a tall brick building", "two dogs " * 60]


def _embeddings(adapter):
    torch.manual_seed(0)
    pixels = torch.randn(2, 3, 32, 32)
    return adapter.encode_text(adapter.tokenize(CAPTIONS)), adapter.encode_image(pixels)


def _write(fmt: str, state, path):
    if fmt == "state dict":
        torch.save(state, path)
    elif fmt == "open_clip checkpoint":
        wrapped = {f"module.{k}": v for k, v in state.items()}
        torch.save({"epoch": 3, "name": "run", "state_dict": wrapped, "optimizer": {"lr": 1e-5}}, path)
    elif fmt == "safetensors":
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    elif fmt == "torchscript":
        model = build_model(TINY)
        model.load_state_dict(state)
        torch.jit.script(model.eval()).save(str(path))
    return path


@pytest.mark.parametrize("fmt,suffix", [("state dict", ".pt"), ("open_clip checkpoint", ".pt"),
                                        ("safetensors", ".safetensors"), ("safetensors", ".pt")])
def test_every_container_gives_the_same_embeddings(fmt, suffix, clip_state, tmp_path):
    """A safetensors file renamed to .pt is found by its content and read as safetensors."""
    reference = _embeddings(load_model("tiny-clip"))
    path = _write(fmt, clip_state, tmp_path / f"model{suffix}")
    assert read_checkpoint(path).container == fmt
    # An open_clip training checkpoint needs its architecture named (see the refusal test below).
    adapter = load_model("tiny-clip" if fmt == "open_clip checkpoint" else None, path)
    for ref, got in zip(reference, _embeddings(adapter), strict=True):
        assert (ref - got).abs().max() <= 1e-6
    assert adapter.provenance.name == ("tiny-clip" if fmt == "open_clip checkpoint" else "model")
    assert adapter.provenance.checkpoint_sha256 and len(adapter.provenance.checkpoint_sha256) == 64
    assert adapter.provenance.pos_embed_kind == "clip77"


def test_open_clip_architecture_with_a_local_file_matches(clip_state, tmp_path):
    path = _write("state dict", clip_state, tmp_path / "w.pt")
    generic = load_model("open_clip:longbench-tiny", path)
    for ref, got in zip(_embeddings(load_model(None, path)), _embeddings(generic), strict=True):
        assert (ref - got).abs().max() <= 1e-6
    assert generic.provenance.architecture == "longbench-tiny"


def test_embeddings_are_normalised_float32(clip_state):
    text, image = _embeddings(load_model("tiny-clip"))
    for emb in (text, image):
        assert emb.dtype == torch.float32
        assert torch.allclose(emb.norm(dim=-1), torch.ones(len(emb)), atol=1e-5)


def test_architecture_is_read_from_shapes(clip_state):
    arch = infer_architecture(clip_state, "x")
    assert arch == TINY
    assert arch.name.startswith("ViT-custom(v128x2/p8@32")


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found: .*nope.pt"):
        read_checkpoint(tmp_path / "nope.pt")


def test_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.pt"
    path.write_bytes(b"\x80\x02this is not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt.pt: not a readable PyTorch checkpoint"):
        read_checkpoint(path)


def test_corrupt_safetensors(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="bad.safetensors: not a valid safetensors file"):
        read_checkpoint(path)


class _Exploit:
    def __reduce__(self):
        return (print, ("pwned",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol 4")  # a plain pickle, as an attacker would write it
def test_pickled_code_is_refused_not_run(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        pickle.dump({"positional_embedding": _Exploit()}, fh)
    with pytest.raises(CheckpointError, match="refused: the file holds code, pickled Python objects"):
        read_checkpoint(path)
    assert "pwned" not in capsys.readouterr().out


class _System:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_torch_saved_checkpoint_holding_code_is_refused_without_torchs_advice(tmp_path, capfd):
    """On the installed torch: the refusal says the file holds code, names the call, and never repeats torch's
    "Re-running torch.load with weights_only set to False will likely succeed"."""
    path = tmp_path / "evil.pt"
    torch.save({"positional_embedding": _System()}, path)
    with pytest.raises(CheckpointError) as refused:
        read_checkpoint(path)
    message = str(refused.value)
    assert "refused: the file holds code" in message and re.search(r"a call to (posix|os|nt)\.system", message)
    assert "weights_only" not in message and "False" not in message and "\n" not in message
    assert "pwned" not in capfd.readouterr().out


@pytest.mark.parametrize("error", [
    "Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will likely succeed.\n"
    "WeightsUnpickler error: Unsupported global: GLOBAL posix.system was not an allowed global by default.",
    "Weights only load failed. In PyTorch 2.6 ... Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution.\n\nTrying to load unsupported GLOBAL "
    "posix.system whose module posix is blocked.",
])
def test_every_wording_of_a_refused_global_is_read(tmp_path, error):
    from longbench.adapters.core.checkpoint_files import _pickled_call

    torch.save({"a": torch.zeros(1)}, tmp_path / "ok.pt")
    assert _pickled_call(tmp_path / "ok.pt", error) == "a call to posix.system"


def test_torchs_advice_is_never_a_reason():
    from longbench.adapters.core.checkpoint_files import _unpickler_reason

    error = ValueError("Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will "
                       "likely succeed. Do it only if you got the file from a trusted source.\n\nsomething else")
    assert _unpickler_reason(error) == "something else"


def test_not_a_clip_state_dict(tmp_path):
    path = tmp_path / "resnet.pt"
    torch.save({"fc.weight": torch.zeros(2, 2), "conv1.weight": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match=r"not a CLIP checkpoint: expected .*token_embedding.weight.*found 2"):
        load_model(None, path)


def test_hugging_face_layout_is_named(tmp_path):
    path = tmp_path / "hf.safetensors"
    save_file({"text_model.embeddings.token_embedding.weight": torch.zeros(4, 2)}, str(path))
    with pytest.raises(CheckpointError, match="Hugging Face transformers CLIPModel"):
        load_model(None, path)


def test_wrong_shapes(clip_state, tmp_path):
    bad = dict(clip_state)
    bad["visual.proj"] = torch.zeros(128, 32)  # embed dim 32 where the text side says 64
    path = tmp_path / "wrong.pt"
    torch.save(bad, path)
    with pytest.raises(CheckpointError, match=r"wrong.pt: tensors do not fit .*size mismatch for visual.proj"):
        load_model(None, path)


def test_non_dict_pickle(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match="expected a state dict"):
        read_checkpoint(path)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")  # the files OpenAI published are TorchScript
def test_torchscript_archives_are_refused_pointing_at_safetensors(clip_state, tmp_path):
    path = _write("torchscript", clip_state, tmp_path / "ViT-B-16.pt")
    with pytest.raises(CheckpointError, match=r"ViT-B-16.pt: a TorchScript archive .* refused, because TorchScript "
                                              r"archives can carry code\. Use the safetensors copy .*--model clip-B"):
        read_checkpoint(path)


def test_an_open_clip_training_checkpoint_without_a_model_name_is_refused_with_the_fix(clip_state, tmp_path):
    path = _write("open_clip checkpoint", clip_state, tmp_path / "epoch_3.pt")
    with pytest.raises(CheckpointError, match=r"open_clip training checkpoint.*GELU or QuickGELU.*"
                                              r"--model open_clip:ARCH --checkpoint FILE"):
        load_model(None, path)
    assert load_model("open_clip:longbench-tiny", path).provenance.name == "open_clip:longbench-tiny"


@pytest.mark.parametrize("content,message", [
    (b"", "not a checkpoint: the file is empty"),
    (bytes(range(7, 250)), r"not a checkpoint: it starts with b'\\x07\\x08"),
    (b"\x80\x02this is not a checkpoint", "not a readable PyTorch checkpoint"),
])
def test_each_kind_of_non_checkpoint_gets_an_accurate_message(tmp_path, content, message):
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as info:
        read_checkpoint(path)
    assert "executed" not in str(info.value)


def test_a_zip_that_is_not_a_pytorch_file_is_named_as_such(tmp_path):
    import zipfile

    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("docs/readme.txt", "hello")
    with pytest.raises(CheckpointError, match=r"a zip archive but not a PyTorch checkpoint .*docs/readme.txt"):
        read_checkpoint(path)


@pytest.mark.parametrize("width", [32, 96])
def test_a_width_that_is_not_a_multiple_of_64_is_one_line(clip_state, tmp_path, width):
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    vision = CLIPVisionCfg(layers=1, width=width, patch_size=8, image_size=32, head_width=width)
    model = CLIP(64, vision, CLIPTextCfg(context_length=77, vocab_size=49408, width=128, heads=2, layers=1))
    path = tmp_path / "odd.pt"
    torch.save(model.state_dict(), path)
    with pytest.raises(CheckpointError, match=rf"odd.pt: vision width {width} is not a multiple of 64"):
        load_model(None, path)


def test_an_architecture_with_a_checkpoint_does_not_say_it_was_initialized_randomly(clip_state, tmp_path, caplog):
    path = _write("state dict", clip_state, tmp_path / "w.pt")
    with caplog.at_level(logging.WARNING):
        load_model("open_clip:longbench-tiny", path)
    assert "initialized randomly" not in caplog.text
    with caplog.at_level(logging.WARNING):  # the filter is gone afterwards
        logging.getLogger().warning("Model initialized randomly.")
    assert "initialized randomly" in caplog.text
