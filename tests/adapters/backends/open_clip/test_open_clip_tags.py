"""`open_clip:ARCH@TAG` builds the model the tag's weights were trained as: activation and preprocessing."""

from __future__ import annotations

import json

import numpy as np
import open_clip
import pytest
import torch
from open_clip.transformer import QuickGELU
from torchvision.transforms import InterpolationMode, Normalize, Resize

from longbench.adapters import load_model
from longbench.adapters.backends.open_clip.loading import tag_settings
from longbench.adapters.core import checkpoint_files
from longbench.embedding_cache import EmbeddingCache, text_settings_key
from longbench.encode import Encoder
from longbench.settings import RunSettings

TINY_GELU = {"embed_dim": 64, "quick_gelu": False,
             "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8},
             "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1}}
MEAN, STD = (0.1, 0.2, 0.3), (0.4, 0.5, 0.6)


@pytest.fixture
def tagged_tiny(tmp_path, monkeypatch):
    """A tiny architecture whose name says GELU, with a tag whose weights were trained with QuickGELU."""
    cfg_path = tmp_path / "lb-tiny-gelu.json"
    cfg_path.write_text(json.dumps(TINY_GELU))
    open_clip.add_model_config(cfg_path)
    model = open_clip.create_model("lb-tiny-gelu", force_quick_gelu=True)
    weights = tmp_path / "weights.bin"
    torch.save(model.state_dict(), weights)
    tag = {"url": "", "hf_hub": "", "mean": MEAN, "std": STD, "interpolation": "bilinear", "resize_mode": "squash",
           "quick_gelu": True}
    monkeypatch.setitem(open_clip.pretrained._PRETRAINED, "lb-tiny-gelu", {"qg": tag})
    monkeypatch.setattr(open_clip.pretrained, "download_pretrained", lambda cfg, **_: str(weights))
    return model


def test_a_tag_applies_its_activation_and_preprocessing(tagged_tiny):
    adapter = load_model("open_clip:lb-tiny-gelu@qg")
    acts = {type(m) for m in adapter.model.modules() if isinstance(m, (QuickGELU, torch.nn.GELU))}
    assert acts == {QuickGELU}
    steps = adapter.preprocess.transforms
    norm = next(t for t in steps if isinstance(t, Normalize))
    assert tuple(norm.mean) == MEAN and tuple(norm.std) == STD
    resize = next(t for t in steps if isinstance(t, Resize))
    assert resize.interpolation == InterpolationMode.BILINEAR
    assert resize.size == (32, 32)  # squash: both sides set, no centre crop
    batch = adapter.tokenize(["a cat on a mat"])
    expected = torch.nn.functional.normalize(tagged_tiny.eval().encode_text(batch.ids), dim=-1)
    assert (adapter.encode_text(batch) - expected).abs().max() <= 1e-5


@pytest.mark.parametrize(("arch", "tag"), [("ViT-B-32", "openai"), ("ViT-B-16", "openai"),
                                           ("ViT-H-14-worldwide", "metaclip2_worldwide")])
def test_real_quickgelu_tags_force_quickgelu(arch, tag):
    settings = tag_settings(open_clip.get_pretrained_cfg(arch, tag))
    assert settings["force_quick_gelu"] is True
    assert settings["image_resize_mode"] == "shortest" and settings["image_interpolation"] == "bicubic"


def test_a_siglip_tag_squashes_with_inception_normalisation():
    settings = tag_settings(open_clip.get_pretrained_cfg("ViT-B-16-SigLIP", "webli"))
    assert settings["force_quick_gelu"] is False
    assert settings["image_resize_mode"] == "squash" and tuple(settings["image_mean"]) == (0.5, 0.5, 0.5)


def test_a_tag_named_with_a_local_checkpoint_applies_its_settings_too(tagged_tiny, tmp_path):
    path = tmp_path / "mine.pt"
    torch.save(tagged_tiny.state_dict(), path)
    adapter = load_model("open_clip:lb-tiny-gelu@qg", path)
    assert {type(m) for m in adapter.model.modules() if isinstance(m, (QuickGELU, torch.nn.GELU))} == {QuickGELU}
    gelu = load_model("open_clip:lb-tiny-gelu", path)  # no tag: the architecture's own activation
    assert not any(isinstance(m, QuickGELU) for m in gelu.model.modules())


def test_one_file_built_with_each_activation_is_two_models_to_the_cache(tagged_tiny, tmp_path, monkeypatch):
    """The same weights embed differently with GELU and QuickGELU: the architecture names the activation, so a
    result says which was used and the embedding cache never hands one build's vectors to the other."""
    # A bare file is named by its shapes: here the tiny architecture's name, as ViT-B-32's shapes are named ViT-B-32.
    monkeypatch.setitem(checkpoint_files.KNOWN_ARCHITECTURES, (64, 1, 8, 32, 64, 1), "lb-tiny-gelu")
    path = tmp_path / "mine.pt"
    torch.save(tagged_tiny.state_dict(), path)
    gelu, tagged, bare = (load_model("open_clip:lb-tiny-gelu", path), load_model("open_clip:lb-tiny-gelu@qg", path),
                          load_model(None, path))  # a bare OpenAI-layout file: QuickGELU, as OpenAI trained
    assert gelu.provenance.architecture == "lb-tiny-gelu"
    assert tagged.provenance.architecture == "lb-tiny-gelu-quickgelu"
    assert bare.provenance.architecture == "lb-tiny-gelu-quickgelu"
    assert text_settings_key(gelu, "fp32", "cpu") != text_settings_key(bare, "fp32", "cpu")


    def vectors(model, cache: EmbeddingCache | None):
        return Encoder(model, RunSettings.resolve("cpu"), progress=False, cache=cache).texts(["a cat on a mat"]).vectors

    cache = EmbeddingCache(tmp_path / "cache")
    vectors(bare, cache)  # fills the cache with the QuickGELU build's embeddings
    assert np.array_equal(vectors(gelu, cache), vectors(gelu, None))
    assert not np.array_equal(vectors(gelu, None), vectors(bare, None))
