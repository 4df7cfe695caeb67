"""Image preprocessing with a checkpoint's own image processor: fixed-size, or NaFlex (SigLIP 2) packed per image."""

from __future__ import annotations

from collections.abc import Callable

import torch
from PIL import Image

from .model import features


def processor_preprocess(processor) -> Callable[[Image.Image], torch.Tensor]:
    """The checkpoint's own image processor, one image at a time (the DataLoader batches)."""
    def preprocess(image: Image.Image) -> torch.Tensor:
        return processor(images=image, return_tensors="pt")["pixel_values"][0]
    return preprocess


def naflex_preprocess(processor) -> Callable[[Image.Image], torch.Tensor]:
    """NaFlex (SigLIP 2): patches at the image's own aspect ratio, padded to the processor's `max_num_patches`.
    Returned as one tensor [patches, patch_dim + 3] (pixels, patch mask, the grid's height and width) so images
    batch like any other; naflex_image unpacks it."""
    def preprocess(image: Image.Image) -> torch.Tensor:
        out = processor(images=image, return_tensors="pt")
        pixels, mask, shape = out["pixel_values"][0], out["pixel_attention_mask"][0], out["spatial_shapes"][0]
        extra = torch.cat([mask[:, None], shape.expand(len(mask), 2)], dim=1).to(pixels.dtype)
        return torch.cat([pixels, extra], dim=1)
    return preprocess


def naflex_image(model, packed: torch.Tensor) -> torch.Tensor:
    d = packed.shape[-1] - 3
    return features(model.get_image_features(pixel_values=packed[..., :d],
                                             pixel_attention_mask=packed[..., d].round().long(),
                                             spatial_shapes=packed[:, 0, d + 1:].round().long()))
