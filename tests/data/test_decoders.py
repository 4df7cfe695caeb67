"""`--decode tensor|gpu`: the model's preprocessing parameters read from its transform, pixels close to PIL's, the
GPU path's code (batched decode, per-image fallback, non-JPEG files) run on CPU tensors, errors for the rest."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from PIL import Image

from longbench.adapters import load_model
from longbench.adapters.backends.open_clip.build import clip_preprocess
from longbench.data.decoders import GpuDecoder, TensorPreprocess, make_decoder
from longbench.data.synthetic import MODES, synthetic_rgb, write_image
from longbench.encode import Encoder
from longbench.errors import DataError, UnknownNameError
from longbench.settings import RunSettings

CPU = torch.device("cpu")


@pytest.fixture
def photos(tmp_path):
    """JPEGs at photo size, plus one of every other mode (greyscale, RGBA PNG, CMYK, palette)."""
    paths = []
    for i in range(3):
        path = tmp_path / f"photo{i}.jpg"
        Image.fromarray(synthetic_rgb(i, (160 + 40 * i, 120))).save(path, quality=90)
        paths.append(path)
    return paths + [write_image(tmp_path / f"mode{i}.jpg", i) for i in range(1, len(MODES))]


def pil_batch(paths, preprocess, border=0):
    from longbench.data.images import open_rgb
    return torch.stack([preprocess(open_rgb(p, border)) for p in paths])


def test_parameters_come_from_the_models_transform():
    spec = TensorPreprocess.of(clip_preprocess(336))
    assert spec.size == 336 and spec.crop == (336, 336) and spec.interpolation.value == "bicubic"
    assert spec.mean == pytest.approx((0.48145466, 0.4578275, 0.40821073)) and spec.antialias


@pytest.mark.parametrize("name", ["tensor", "gpu"])
def test_tensor_paths_are_close_to_pil(photos, name):
    preprocess = clip_preprocess(32)
    decoder = make_decoder(name, preprocess, CPU, allow_cpu=True)
    items = [decoder.dataset(photos, 0)[i] for i in range(len(photos))]
    idx, pixels, failures = decoder.to_device(*decoder.collate(items))
    assert failures == [] and idx.tolist() == list(range(len(photos)))
    reference = pil_batch(photos, preprocess)
    assert pixels.shape == reference.shape and pixels.dtype == torch.float32
    # One uint8 step (1/255 before normalising by std ~0.27) is 0.015; decoders and kernels differ by a few steps.
    diff = (pixels - reference).abs()
    assert diff.mean() < 0.03 and diff.max() < 0.5
    # Files PIL decodes for the tensor path (PNG, CMYK, palette) take only the tensor transforms: closer still.
    assert diff[3:].mean() <= diff.mean() * 2


def test_gpu_path_fails_one_corrupt_jpeg_alone(photos, tmp_path):
    bad = tmp_path / "bad.jpg"
    data = photos[0].read_bytes()
    bad.write_bytes(data[:200] + b"\x00" * 50)  # a valid header, then garbage: only the decoder can tell
    decoder = GpuDecoder(clip_preprocess(32), CPU)
    paths = [photos[0], bad, photos[1]]
    items = [decoder.dataset(paths, 0)[i] for i in range(3)]
    idx, pixels, failures = decoder.to_device(*decoder.collate(items))
    assert idx.tolist() == [0, 2] and pixels.shape[0] == 2
    assert [f.index for f in failures] == [1]


def test_border_crop_matches_pil(photos):
    preprocess = clip_preprocess(32)
    for name in ("tensor", "gpu"):
        decoder = make_decoder(name, preprocess, CPU, allow_cpu=True)
        _, pixels, _ = decoder.to_device(*decoder.collate([decoder.dataset(photos[:2], 1)[i] for i in range(2)]))
        assert (pixels - pil_batch(photos[:2], preprocess, border=1)).abs().mean() < 0.03


@pytest.mark.slow  # DataLoader worker processes
def test_through_the_encoder_with_workers(photos):
    adapter = load_model("tiny-clip")
    reference = Encoder(adapter, RunSettings.resolve("cpu", batch_size=3), progress=False).images(photos).vectors
    for decode in ("tensor", GpuDecoder(adapter.preprocess, CPU)):
        settings = RunSettings.resolve("cpu", batch_size=3, workers=2, decode=getattr(decode, "name", decode))
        encoder = Encoder(adapter, settings, progress=False, decoder=None if isinstance(decode, str) else decode)
        emb = encoder.images(photos)
        assert emb.kept.tolist() == list(range(len(photos)))
        cos = (emb.vectors * reference).sum(axis=1)
        assert np.all(cos > 0.99)
        assert encoder.used_settings["decode"] == getattr(decode, "name", decode)


def test_gpu_without_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DataError, match="--decode gpu needs a CUDA device.*--decode tensor"):
        Encoder(load_model("tiny-clip"), RunSettings.resolve("cpu", decode="gpu"))


def test_unknown_mode_and_unsupported_preprocessing():
    with pytest.raises(UnknownNameError, match="unknown image decoding .*'nvjpeg'"):
        make_decoder("nvjpeg", clip_preprocess(32), CPU)
    flip = T.Compose([T.Resize(32), T.RandomHorizontalFlip(), T.CenterCrop(32), T.ToTensor(), T.Normalize(0, 1)])
    with pytest.raises(DataError, match="cannot reproduce the preprocessing step RandomHorizontalFlip.*--decode pil"):
        make_decoder("tensor", flip, CPU)
    with pytest.raises(DataError, match="need a torchvision Compose preprocess.*--decode pil"):
        make_decoder("gpu", lambda image: image, CPU, allow_cpu=True)
    with pytest.raises(DataError, match="need Resize, CenterCrop and Normalize"):
        make_decoder("tensor", T.Compose([T.Resize(32), T.ToTensor()]), CPU)
