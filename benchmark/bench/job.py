"""The bench's job: a COCO val2017-format folder of generated JPEGs and captions, and the model to run on it.

Images are smooth colour fields with noise (about COCO's JPEG size per pixel), captions COCO-like sentences
(13-30 words, mean about 21.6; longer than COCO's so that up to 32,000 of them are all different, as COCO's are),
`captions_per_image` each. An open_clip architecture name becomes a random-weights checkpoint in the
job folder, so the timed runs read, hash and load a real file as a user's run does.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ..data.synthetic import synthetic_rgb

if TYPE_CHECKING:
    from .base import BenchConfig


@dataclass
class Job:
    root: Path  # the data root: <root>/coco/...
    model: str | None
    checkpoint: str | None
    cache: Path  # $LONGBENCH_CACHE of the timed runs: empty at the first
    n_images: int
    n_texts: int
    seconds: float  # generating it (not part of any timing)


def write_job(folder: Path, config: BenchConfig) -> Job:
    """The job in `folder` (a kept one is reused where it matches), with an empty cache for the timed runs: a kept
    folder's cache from an earlier bench would make the "cold" run a warm one."""
    start = time.perf_counter()
    root = folder / "data"
    _write_coco(root / "coco", config)
    model, checkpoint = _model(folder, config.model)
    shutil.rmtree(folder / "cache", ignore_errors=True)
    return Job(root, model, checkpoint, folder / "cache", config.images, config.images * config.captions_per_image,
               time.perf_counter() - start)


def _write_coco(coco: Path, config: BenchConfig) -> None:
    from longbench.tasks.sample_captions import distinct_short_captions, sample_rng

    marker = coco / "bench-job.json"
    # "format" 3: unique annotation ids and distinct captions (older kept jobs are rewritten).
    spec = {"format": 3, "images": config.images, "captions_per_image": config.captions_per_image,
            "image_size": list(config.image_size), "seed": config.seed}
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == spec:
        return  # a kept job folder with the same job: reuse it
    rng = sample_rng(config.seed, "bench")
    captions = iter(distinct_short_captions(rng, config.images * config.captions_per_image))
    images, annotations = [], []
    (coco / "val2017").mkdir(parents=True, exist_ok=True)
    for i in range(config.images):
        name = f"{i + 1:012d}.jpg"
        Image.fromarray(synthetic_rgb(i, config.image_size, config.seed)).save(coco / "val2017" / name, quality=90)
        images.append({"id": i + 1, "file_name": name, "width": config.image_size[0],
                       "height": config.image_size[1]})
        for _ in range(config.captions_per_image):  # annotation ids unique, as tools indexing by them expect
            annotations.append({"id": len(annotations) + 1, "image_id": i + 1, "caption": next(captions)})
    (coco / "annotations").mkdir(exist_ok=True)
    (coco / "annotations" / "captions_val2017.json").write_text(
        json.dumps({"images": images, "annotations": annotations}), encoding="utf-8")
    marker.write_text(json.dumps(spec), encoding="utf-8")


def _model(folder: Path, name: str) -> tuple[str | None, str | None]:
    """(model name, checkpoint) for the timed runs: a longbench name as is, an open_clip architecture as a file."""
    import open_clip

    from ..adapters import MODELS, PREFIXES

    prefix, sep, _ = name.partition(":")
    if name in MODELS or (sep and prefix in PREFIXES) or name not in open_clip.list_models():
        return name, None  # resolved (or refused with its own message) by load_model
    path = folder / f"{name}-random.safetensors"
    if not path.is_file():
        from safetensors.torch import save_file

        model = open_clip.create_model(name, pretrained=None)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return f"open_clip:{name}", str(path)
