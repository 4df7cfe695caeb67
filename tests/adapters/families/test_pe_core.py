"""PE-Core through open_clip's tags, run as open_clip runs it: the registry entries read open_clip's configs, the
tokenizer is open_clip's own (CLIP BPE at 32 tokens, 72 for bigG), and the tag's preprocessing is applied. The
towers themselves are checked against open_clip on a tiny model of the same layout (the "pe-core" family of
tests/adapters/backends/open_clip/open_clip_folders.py, in test_open_clip_families.py)."""

from __future__ import annotations

import open_clip
import pytest
import torch

from longbench.adapters import MODELS
from longbench.adapters.backends.open_clip.loading import tag_settings
from longbench.adapters.backends.open_clip.tokenizers import open_clip_tokenizer

ENTRIES = [("pe-core-T-16-384", "PE-Core-T-16-384", 32, 384), ("pe-core-S-16-384", "PE-Core-S-16-384", 32, 384),
           ("pe-core-B-16", "PE-Core-B-16", 32, 224), ("pe-core-L-14-336", "PE-Core-L-14-336", 32, 336),
           ("pe-core-bigG-14-448", "PE-Core-bigG-14-448", 72, 448)]
CAPTIONS = ["a cat", "A photo of two cats sleeping on a red sofa, next to a lamp, while a man rides a bicycle in "
            "the rainy city and forty-two boats wait in the harbour. " * 3, ""]


@pytest.mark.parametrize(("name", "arch", "context", "resolution"), ENTRIES)
def test_every_released_tag_is_listed_as_open_clip_configures_it(name, arch, context, resolution):
    spec = MODELS.get(name)
    assert (arch, "meta") in open_clip.list_pretrained()
    assert (spec.load_as, spec.context_length, spec.resolution, spec.licence) == (f"open_clip:{arch}@meta", context,
                                                                                  resolution, "Apache-2.0")
    assert spec.hf_repo == f"timm/{arch}" and not spec.unavailable


@pytest.mark.parametrize(("name", "arch", "context", "resolution"), ENTRIES)
def test_the_tokenizer_is_open_clips_own_at_the_models_context(name, arch, context, resolution):
    ours = open_clip_tokenizer(arch)(CAPTIONS, context)
    theirs = open_clip.get_tokenizer(arch)
    assert theirs.context_length == context and torch.equal(ours.ids, theirs(CAPTIONS))
    assert ours.truncated.tolist() == [False, True, False] and ours.ids[1, -1] == 49407  # EOT kept last


def test_the_tag_preprocessing_is_what_open_clip_applies():
    settings = tag_settings(open_clip.get_pretrained_cfg("PE-Core-B-16", "meta"))
    assert settings == {"force_quick_gelu": False, "image_mean": (0.5, 0.5, 0.5), "image_std": (0.5, 0.5, 0.5),
                        "image_interpolation": "bilinear", "image_resize_mode": "squash"}
