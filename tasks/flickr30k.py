"""Flickr30k caption retrieval: the Karpathy 1k test split (the standard) and the full set (Long-CLIP's Table 2)."""

from __future__ import annotations

import re
from pathlib import Path

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta
from .caption_text import one_line
from .first_captions import FirstCaptionsTask
from .karpathy import KarpathyTask
from .retrieval_dataset import Item, Notes
from .sample_captions import sample_rng, short_caption

IMAGES = "flickr30k-images"
KARPATHY = "dataset_flickr30k.json"
TOKENS = "results_20130124.token"
_SOURCE = ("images: https://shannon.cs.illinois.edu/DenotationGraph/ (flickr30k-images.tar.gz, request form); "
           "Karpathy split: https://cs.stanford.edu/people/karpathy/deepimagesent/caption_datasets.zip")
_LICENCE = "images: Flickr terms of use, non-commercial research only; captions: Flickr30k terms"
#: `NAME.jpg#n<TAB>caption`
_TOKEN_LINE = re.compile(r"^([^\t#]+)#(\d+)\t(.*)$")


@register_task
class Flickr30k(KarpathyTask):
    annotations = KARPATHY
    required = (KARPATHY, IMAGES)
    image_folder = IMAGES
    dataset = "flickr30k"
    sample_folder = IMAGES
    meta = TaskMeta(
        name="flickr30k",
        kind="retrieval",
        family="flickr30k",
        description="Flickr30k Karpathy 1k test split: 1,000 images with 5 captions each",
        protocol="images with split == 'test' in dataset_flickr30k.json, first 5 sentences each (the community "
                 "standard; CLIP_benchmark, LLM2CLIP)",
        subdir="flickr30k",
        layout=f"{KARPATHY} (Karpathy format) and {IMAGES}/<filename>",
        source=_SOURCE,
        licence=_LICENCE,
        split=f"entries of {KARPATHY} with split 'test', in file order",
        expected={"images": 1000, "texts": 5000},
        pitfalls=(
            "Long-CLIP's Table 2 Flickr numbers are on the full 31,783-image set (task flickr30k-full), not on "
            "this split: they are much lower (~47/34 R@1 vs ~86/70 here) and not comparable.",
        ),
        groups=("short_retrieval", "retrieval"),
    )


def _token_items(task: Task, root: Path, path: Path) -> list[Item]:
    """Images in order of first appearance in the token file, captions in file order.

    Each `NAME#n` names one caption slot: a slot listed twice (an image's block repeated further down, say) is a
    duplicate entry, refused rather than merged silently into that image's captions.
    """
    captions: dict[str, list[str]] = {}
    slots: dict[tuple[str, str], int] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{task.meta.name}: {path} is not UTF-8 text ({err.reason})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        match = _TOKEN_LINE.match(line)
        where = f"{task.meta.name}: {path} line {number}"
        if not match:
            raise DataError(f"{where}: expected 'NAME.jpg#n<TAB>caption', found {line[:60]!r}")
        name, slot, text = match.groups()
        if (name, slot) in slots:
            raise DataError(f"{where}: {name}#{slot} is listed again (first at line {slots[name, slot]}); each "
                            "caption of each image must be listed once")
        slots[name, slot] = number
        captions.setdefault(name, []).append(one_line(text))
    source = f"{task.meta.name}: {path}"
    return [Item(Path(name).stem, safe_join(root / IMAGES, name, source), texts) for name, texts in captions.items()]


@register_task
class Flickr30kFull(FirstCaptionsTask):
    annotations = TOKENS
    required = (TOKENS, IMAGES)
    meta = TaskMeta(
        name="flickr30k-full",
        kind="retrieval",
        family="flickr30k",
        description="Flickr30k, all 31,783 images with 5 captions each (the set of Long-CLIP's Table 2)",
        protocol=f"every image in {TOKENS}, first 5 captions each, 158,915 texts (Long-CLIP repository)",
        subdir="flickr30k",
        layout=f"{TOKENS} (lines 'NAME.jpg#n<TAB>caption') and {IMAGES}/<NAME>.jpg",
        source=("https://shannon.cs.illinois.edu/DenotationGraph/ (request form): flickr30k-images.tar.gz, and "
                f"{TOKENS} from flickr30k.tar.gz"),
        licence=_LICENCE,
        split=f"every image named in {TOKENS}, in order of first appearance",
        expected={"images": 31783, "texts": 158915},
        pitfalls=(
            "Long-CLIP's Table 2 Flickr numbers are on this full set: 31,783 images (train images included) is a "
            "much larger gallery than the 1k test split, so R@1 looks low (~47/34 vs ~86/70 on flickr30k).",
            "Includes the images most models fine-tuned on Flickr30k were trained on.",
        ),
    )

    def items(self, root: Path, path: Path, notes: Notes) -> list[Item]:
        return _token_items(self, root, path)

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """results_20130124.token for n images, 5 captions each, lines grouped per image as in the real file."""
        rng = sample_rng(seed, "flickr30k-full")
        lines = []
        for i in range(n):
            name = f"{1000092795 + 17 * i}.jpg"
            write_image(root / IMAGES / name, i, seed=seed)
            lines += [f"{name}#{k}\t{short_caption(rng)}" for k in range(self.captions_per_image)]
        root.mkdir(parents=True, exist_ok=True)
        (root / TOKENS).write_text("\n".join(lines) + "\n", encoding="utf-8")
