"""`longbench --help`, `models`, `embed`, and one-line errors with non-zero exits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from longbench.adapters import load_model
from longbench.cli import app
from longbench.data.synthetic import write_image

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("models", "embed", "stretch", "run", "tasks"):
        assert command in result.output


def test_models_table():
    result = runner.invoke(app, ["models"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("clip-B", "clip-L", "clip-B-32", "longclip-B", "longclip-L", "longclip-B-32", "tiny-clip"):
        assert name in result.output
    assert "248" in result.output and "missing" in result.output and "BeichenZhang" in result.output


def test_embed_saves_texts_then_images_in_order(tmp_path, longclip_state):
    ckpt = tmp_path / "some-longclip-format.pt"
    torch.save(longclip_state, ckpt)
    images = [write_image(tmp_path / f"{i}.jpg", i) for i in range(2)]
    out = tmp_path / "vectors.npy"
    args = ["embed", "--checkpoint", str(ckpt), "--text", "a cat", "--text", "a long caption " * 30,
            "--image", str(images[0]), "--image", str(images[1]), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    vectors = np.load(out)
    assert vectors.shape == (4, 64) and vectors.dtype == np.float32
    adapter = load_model(None, ckpt)
    expected = adapter.encode_text(adapter.tokenize(["a cat", "a long caption " * 30])).numpy()
    assert np.abs(vectors[:2] - expected).max() <= 1e-6
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_embed_prints_vectors(tmp_path):
    result = runner.invoke(app, ["embed", "-m", "tiny-clip", "-t", "a cat"])
    assert result.exit_code == 0
    assert "a cat" in result.output and "clip77" in result.output


@pytest.mark.parametrize("args,message", [
    (["embed", "-m", "longclip-b", "-t", "x"], "unknown model 'longclip-b'; did you mean longclip-B"),
    (["embed", "-c", "/nonexistent/file.pt", "-t", "x"], "checkpoint not found: /nonexistent/file.pt"),
    (["embed", "-m", "tiny-clip"], "nothing to embed"),
    (["embed", "-m", "tiny-clip", "-i", "/nonexistent.jpg"], "image file not found: /nonexistent.jpg"),
    (["embed", "-m", "longclip-B", "-t", "x"], "download longclip-B.pt from https://huggingface.co/BeichenZhang"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert result.output.strip().startswith("error:")


def test_corrupt_and_misshapen_files(tmp_path, clip_state):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"PK\x03\x04 broken zip")
    bad = dict(clip_state)
    bad["token_embedding.weight"] = torch.zeros(49408, 96)
    misshapen = tmp_path / "misshapen.pt"
    torch.save(bad, misshapen)
    for path, message in ((corrupt, "not a readable PyTorch checkpoint"), (misshapen, "tensors do not fit")):
        result = runner.invoke(app, ["embed", "-c", str(path), "-t", "x"])
        assert result.exit_code == 2
        assert message in result.output and "Traceback" not in result.output


def test_embed_refuses_an_out_that_is_not_npy(tmp_path):
    result = runner.invoke(app, ["embed", "-m", "tiny-clip", "-t", "x", "--out", str(tmp_path / "v.txt")])
    assert result.exit_code == 2 and "--out must end in .npy" in result.output
    assert not (tmp_path / "v.txt").exists()
