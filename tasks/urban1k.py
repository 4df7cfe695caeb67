"""Urban1k and Urban-200: long captions of urban scenes, one caption file per image, paired by file stem.

`urban1k-lotlip` reads Urban1k as LoTLIP's dataloaders/urban1k.py does: the first line of each caption file, split
into sentences and re-joined with ". " (caption_text.lotlip_caption).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from longbench.data.paths import is_data_file
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .caption_text import lotlip_caption, one_line
from .retrieval_dataset import Item, Notes, build_dataset, status_by_loading
from .sample_captions import long_caption, sample_rng
from .stem_pairs import pair_by_stem

_LAYOUT = "image/<n>.jpg and caption/<n>.txt, paired by file stem (1.jpg <-> 1.txt)"
_PITFALLS = (
    "Caption = the whole file text, stripped, newlines replaced by spaces; Long-CLIP's script reads the "
    "first line only, which is the same text for the released files (one line each).",
    "One early release has an empty caption (592.txt): it is kept as an empty string and counted in "
    "counts['empty_captions'] with a warning, so the pair count stays comparable.",
    "Files are paired and ordered by numeric stem (1, 2, ..., 10), not by string order (1, 10, 2).",
    "Captions average ~131 CLIP tokens and 99.9% exceed 77, so a 77-token model sees truncated text.",
)


def _read_caption(path: Path, root: Path, name: str) -> str:
    if not is_data_file(path, root):  # a FIFO would block forever; a dangling symlink is "not found"
        raise DataError(f"{name}: caption file {path} not found")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: caption file {path} is not UTF-8 text ({err.reason})") from None


def _lotlip_first_line(text: str) -> str:
    """LoTLIP's `f.readlines()[0]` (an empty file, where it fails, stays empty), then its sentence normalisation."""
    return lotlip_caption(text.split("\n", 1)[0])


class _Urban(Task):
    #: How the protocol's code turns a caption file into the caption.
    clean: ClassVar[Callable[[str], str]] = staticmethod(one_line)
    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        name = self.meta.name
        image_dir, caption_dir = root / "image", root / "caption"
        for folder in (root, image_dir, caption_dir):
            if not folder.is_dir():
                raise self.missing(root, f"folder {folder.name}/" if folder != root else "the task folder")
        pairs = pair_by_stem(image_dir.glob("*.jpg"), caption_dir.glob("*.txt"))
        notes = Notes()
        for stem in pairs.unpaired:
            has = f"image/{stem}.jpg has no caption/{stem}.txt" if stem in pairs.images else \
                f"caption/{stem}.txt has no image/{stem}.jpg"
            if not options.skip_bad_images:
                raise DataError(f"{name}: {has} under {root} (use --skip-bad-images to drop unpaired files)")
            notes.warnings.append(f"{name}: skipped unpaired stem {stem}: {has}")
        # Captions are read only for the images kept by `limit`.
        stems = pairs.paired[: options.limit] if options.limit is not None else pairs.paired
        items = [Item(stem, pairs.images[stem], [self.clean(_read_caption(pairs.captions[stem], root, name))],
                      where=f"caption/{stem}.txt") for stem in stems]
        notes.counts["unpaired_files"] = len(pairs.unpaired)
        data = build_dataset(self, root, items, options, notes)
        data.skipped[:0] = pairs.unpaired
        return data

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, ["image", "caption"])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """n pairs with long captions; the first exceeds 248 CLIP tokens, and stem 4 is empty when n >= 5."""
        rng = sample_rng(seed, self.meta.name)
        for i in range(1, n + 1):
            write_image(root / "image" / f"{i}.jpg", i, seed=seed)
            text = long_caption(rng, 260, 300) if i == 1 else long_caption(rng)
            if n >= 5 and i == 4:
                text = ""
            (root / "caption").mkdir(parents=True, exist_ok=True)
            (root / "caption" / f"{i}.txt").write_text(text + ("\n" if i % 2 else ""), encoding="utf-8")


@register_task
class Urban1k(_Urban):
    meta = TaskMeta(
        name="urban1k",
        kind="retrieval",
        family="urban",
        description="Urban1k: 1,000 urban street photos with long, detailed captions (Long-CLIP's long-text "
                    "benchmark)",
        protocol="all 1,000 image/caption pairs, 1:1 retrieval (Long-CLIP release of 2024-05-21)",
        subdir="Urban1k",
        layout=_LAYOUT,
        source="https://huggingface.co/datasets/BeichenZhang/Urban1k (Urban1k.zip)",
        licence="CC-BY-NC-4.0",
        split="every pair in Urban1k.zip (image/1..1000.jpg, caption/1..1000.txt)",
        expected={"images": 1000, "texts": 1000},
        pitfalls=_PITFALLS,
        groups=("long_retrieval", "retrieval", "long_retrieval_2025", "long_retrieval_all"),
    )


@register_task
class Urban200(_Urban):
    meta = TaskMeta(
        name="urban-200",
        kind="retrieval",
        family="urban",
        description="Urban-200: the original Long-CLIP paper's 200-pair urban long-caption set",
        protocol="all 200 image/caption pairs, 1:1 retrieval (Long-CLIP paper, Table 1)",
        subdir="Urban-200",
        layout=_LAYOUT,
        source="Long-CLIP authors (https://github.com/beichenzbc/Long-CLIP); superseded by Urban1k",
        licence="CC-BY-NC-4.0 (as Urban1k)",
        split="every pair in the folder (image/1..200.jpg, caption/1..200.txt)",
        expected={"images": 200, "texts": 200},
        pitfalls=(*_PITFALLS[:3],
                  "Superseded by Urban1k (released 2024-05-21 with retrained checkpoints): the paper's "
                  "Urban-200 numbers are for the original checkpoints."),
    )


@register_task
class Urban1kLoTLIP(_Urban):
    clean = staticmethod(_lotlip_first_line)
    meta = dataclasses.replace(
        Urban1k.meta,
        name="urban1k-lotlip",
        description="Urban1k as LoTLIP reads it: 1,000 urban street photos, long captions normalised into sentences",
        protocol="all 1,000 image/caption pairs, the first line of each caption file split at newlines, '</s>' and "
                 "periods and re-joined with '. ', 1:1 retrieval (LoTLIP's dataloaders/urban1k.py)",
        pitfalls=("Caption = the first line of the file (LoTLIP's f.readlines()[0]; the released files have one line "
                  "each), then LoTLIP's normalisation with its side effects: the final period disappears and '3.5' "
                  "becomes '3. 5'.", *_PITFALLS[1:]),
        groups=(),
    )
