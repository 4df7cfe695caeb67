"""How images become pixel batches (`--decode`): `pil`, the reference, or the tensor path on the CPU or a CUDA GPU.

- pil: PIL decodes and the model's own transform preprocesses, in the loader's workers. The default; exact.
- tensor: JPEGs decoded by `torchvision.io.decode_jpeg` and resized, cropped and normalised as tensors with the
  model's parameters (size, interpolation, crop, mean/std), in the workers. Other files (PNG, CMYK JPEG, arrays)
  are decoded by PIL, then take the same tensor transforms.
- gpu: the workers only read JPEG bytes (and PIL-decode the rest); JPEGs are decoded a batch at a time with nvjpeg
  (`decode_jpeg(device="cuda")`) and the same tensor transforms run on the GPU.

The tensor and GPU paths are not bit-identical to PIL (JPEG decoders and resize kernels round differently), so they
are opt-in and the result records the one used; docs/performance.md, "Image decoding", gives the measured difference.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

from ..errors import DataError
from ..registry import Registry
from .decode_modes import check_decode
from .images import Failure, ImageDataset, Preprocess, Source, collate, image_file, open_rgb, pil_pixels
from .tar_member import TarMember

#: JPEG modes the tensor decoders read directly; others (CMYK, YCCK) go through PIL, whose conversion is the reference.
JPEG_MODES = ("RGB", "L")


@dataclass(frozen=True)
class TensorPreprocess:
    """The model's eval transform (resize, centre crop, to [0, 1], normalise) on uint8 [3, H, W] tensors."""

    size: int | tuple[int, ...]
    interpolation: TF.InterpolationMode
    max_size: int | None
    antialias: bool
    crop: tuple[int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def of(cls, transform: Preprocess) -> TensorPreprocess:
        """The parameters of a torchvision Compose of Resize, CenterCrop, to-RGB, ToTensor and Normalize."""
        steps = getattr(transform, "transforms", None)
        if steps is None:
            raise DataError(f"the tensor decoders need a torchvision Compose preprocess, this model has "
                            f"{type(transform).__name__}; use --decode pil")
        found: dict[str, T.Resize | T.CenterCrop | T.Normalize] = {}
        for step in steps:
            kind = _step_kind(step)
            if kind is None:
                raise DataError(f"the tensor decoders cannot reproduce the preprocessing step {step!r}; "
                                f"use --decode pil")
            found[kind] = step
        if set(found) - {"implicit"} != {"resize", "crop", "normalize"}:
            raise DataError(f"the tensor decoders need Resize, CenterCrop and Normalize, found {transform}; "
                            f"use --decode pil")
        resize, crop, norm = found["resize"], found["crop"], found["normalize"]
        return cls(resize.size, resize.interpolation, resize.max_size, bool(resize.antialias),
                   tuple(crop.size), tuple(norm.mean), tuple(norm.std))

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 [3, H, W] (any device) -> normalised float32 [3, crop_h, crop_w] on the same device."""
        x = TF.resize(pixels, self.size, self.interpolation, self.max_size, self.antialias)  # uint8, rounded
        x = TF.center_crop(x, list(self.crop)).float().div_(255)
        mean, std = _stats(self.mean, self.std, x.device)
        return x.sub_(mean).div_(std)


@functools.lru_cache(maxsize=8)
def _stats(mean: tuple[float, ...], std: tuple[float, ...], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std as [C, 1, 1] tensors on `device`, made once (not a host-to-device copy per image)."""
    return torch.tensor(mean, device=device).view(-1, 1, 1), torch.tensor(std, device=device).view(-1, 1, 1)


def _step_kind(step: object) -> str | None:
    """What a transform step does, or None when the tensor path has no equivalent."""
    if isinstance(step, T.Resize):
        return "resize"
    if isinstance(step, T.CenterCrop):
        return "crop"
    if isinstance(step, T.Normalize):
        return "normalize"
    name = getattr(step, "__name__", type(step).__name__)
    # RGB conversion happens at decode; to-tensor is the /255 in TensorPreprocess.
    if name in ("_convert_to_rgb", "ToTensor", "MaybeToTensor") or (name == "MaybeConvertMode"
                                                                    and getattr(step, "mode", "RGB") == "RGB"):
        return "implicit"
    return None


def _decode_jpeg(data: torch.Tensor | list[torch.Tensor], device: str | torch.device = "cpu"):
    from torchvision.io import ImageReadMode, decode_jpeg

    with warnings.catch_warnings():
        # torchvision 0.29 deprecates its decoders in favour of TorchCodec; they remain the nvjpeg route here.
        warnings.simplefilter("ignore", DeprecationWarning)
        return decode_jpeg(data, mode=ImageReadMode.RGB, device=device)


def read_jpeg_or_pixels(source: Source, crop_border: int) -> tuple[str, torch.Tensor]:
    """("jpeg", raw bytes) for an RGB/greyscale JPEG file (or tar member), else ("pixels", uint8 [3, H, W] decoded by
    PIL).

    The header is read with PIL first, so its decompression-bomb limit and format checks still apply.
    """
    if isinstance(source, Path | TarMember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(image_file(source)) as im:
                is_jpeg = im.format == "JPEG" and im.mode in JPEG_MODES
        if is_jpeg:
            return "jpeg", torch.frombuffer(bytearray(source.read_bytes()), dtype=torch.uint8)
    rgb = np.asarray(open_rgb(source, crop_border))
    return "pixels", torch.from_numpy(rgb.copy()).permute(2, 0, 1)


def crop_pixels(pixels: torch.Tensor, border: int) -> torch.Tensor:
    """`open_rgb`'s border crop on a [3, H, W] tensor."""
    if not border:
        return pixels
    h, w = pixels.shape[-2:]
    if min(w, h) <= 2 * border:
        raise ValueError(f"a {w}x{h} image is too small to crop a {border}-px border from")
    return pixels[:, border:h - border, border:w - border]


def tensor_pixels(spec: TensorPreprocess, source: Source, crop_border: int) -> torch.Tensor:
    return spec(decode_tensor(source, crop_border))


def jpeg_or_pixels(source: Source, crop_border: int) -> tuple[tuple[str, torch.Tensor], int]:
    return read_jpeg_or_pixels(source, crop_border), crop_border


def decode_tensor(source: Source, crop_border: int) -> torch.Tensor:
    """uint8 [3, H, W]: decode_jpeg for JPEGs, PIL for the rest (on the CPU)."""
    kind, data = read_jpeg_or_pixels(source, crop_border)
    if kind == "pixels":
        return data
    try:
        return crop_pixels(_decode_jpeg(data), crop_border)
    except RuntimeError as exc:  # torchvision reports a corrupt JPEG as RuntimeError
        raise ValueError(str(exc)) from None


class Decoder:
    """One `--decode` mode: a dataset for the loader's workers, and the step that makes device pixels of a batch."""

    name = "pil"

    def __init__(self, preprocess: Preprocess, device: torch.device):
        self.preprocess = preprocess
        self.device = device

    def dataset(self, images: Sequence[Source] | np.ndarray, crop_border: int) -> ImageDataset:
        return ImageDataset(images, functools.partial(pil_pixels, self.preprocess), crop_border)

    collate = staticmethod(collate)

    def to_device(self, idx: torch.Tensor, batch, failures: list[Failure]):
        """(indices, pixels [B, 3, H, W] on the device or None, failures) of one collated batch."""
        return idx, None if batch is None else batch.to(self.device, non_blocking=True), failures


class TensorDecoder(Decoder):
    name = "tensor"

    def __init__(self, preprocess: Preprocess, device: torch.device):
        super().__init__(preprocess, device)
        self.spec = TensorPreprocess.of(preprocess)

    def dataset(self, images: Sequence[Source] | np.ndarray, crop_border: int) -> ImageDataset:
        return ImageDataset(images, functools.partial(tensor_pixels, self.spec), crop_border)


class GpuDecoder(TensorDecoder):
    """Workers read bytes; the batch is decoded and transformed on `device` (CUDA; the CPU in tests)."""

    name = "gpu"

    def dataset(self, images: Sequence[Source] | np.ndarray, crop_border: int) -> ImageDataset:
        return ImageDataset(images, jpeg_or_pixels, crop_border)

    @staticmethod
    def collate(items):
        good = [(i, x) for i, x, err in items if err is None]
        failures = [Failure(i, err) for i, _, err in items if err is not None]
        return torch.tensor([i for i, _ in good], dtype=torch.long), [x for _, x in good] or None, failures

    def to_device(self, idx: torch.Tensor, batch, failures: list[Failure]):
        if batch is None:
            return idx, None, failures
        jpegs = [i for i, ((kind, _), _) in enumerate(batch) if kind == "jpeg"]
        decoded = self._decode_all([batch[i][0][1] for i in jpegs])
        pixels, kept = [], []
        for position, ((kind, data), border) in enumerate(batch):
            try:
                if kind == "jpeg":
                    image = decoded[jpegs.index(position)]
                    if isinstance(image, Exception):
                        raise ValueError(str(image))
                    image = crop_pixels(image, border)
                else:
                    image = data.to(self.device, non_blocking=True)
                pixels.append(self.spec(image))
                kept.append(position)
            except ValueError as exc:
                failures = [*failures, Failure(int(idx[position]), f"ValueError: {str(exc).splitlines()[0]}")]
        if not kept:
            return idx[:0], None, failures
        return idx[kept], torch.stack(pixels), failures

    def _decode_all(self, data: list[torch.Tensor]) -> list[torch.Tensor | Exception]:
        """One batched decode; when it fails, each image on its own, so a corrupt file fails alone."""
        if not data:
            return []
        try:
            return list(_decode_jpeg(data, self.device))
        except RuntimeError:
            out: list[torch.Tensor | Exception] = []
            for one in data:
                try:
                    out.append(_decode_jpeg(one, self.device))
                except RuntimeError as exc:
                    out.append(exc)
            return out


#: The implementation of each mode named in decode_modes.MODES.
DECODERS: Registry[Callable[[Preprocess, torch.device], Decoder]] = Registry("image decoder")
DECODERS.add("pil", Decoder)
DECODERS.add("tensor", TensorDecoder)
DECODERS.add("gpu", GpuDecoder)


def make_decoder(name: str, preprocess: Preprocess, device: torch.device, *, allow_cpu: bool = False) -> Decoder:
    """The `--decode` mode for this model and device; `gpu` needs CUDA unless `allow_cpu` (tests)."""
    check_decode(name, device.type, allow_cpu=allow_cpu)
    return DECODERS.get(name)(preprocess, device)
