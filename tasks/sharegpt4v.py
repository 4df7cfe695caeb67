"""ShareGPT4V-1k / -10k: the head of the ShareGPT4V captioner file, long GPT-4V-style captions, 1:1.

Two readings of the same entries: Long-CLIP's (newlines become spaces; `sharegpt4v-1k`, `sharegpt4v-10k`) and
LoTLIP's (`sharegpt4v-1k-lotlip`, `sharegpt4v-10k-lotlip`: its dataloaders/share4v.py splits each caption into
sentences and re-joins them with ". ", see caption_text.lotlip_caption).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .caption_text import lotlip_caption, one_line
from .json_files import json_list_head
from .retrieval_dataset import Item, Notes, build_dataset, status_by_loading
from .sample_captions import long_caption, sample_rng

ANNOTATIONS = "share-captioner_coco_lcs_sam_1246k_1107.json"
_LAYOUT = f"{ANNOTATIONS} (a JSON list) and data/<entry image field>, e.g. data/sam/images/sa_1.jpg"
_SOURCE = ("https://huggingface.co/datasets/Lin-Chen/ShareGPT4V (the json); images: SA-1B "
           "(https://ai.meta.com/datasets/segment-anything/) placed under data/sam/images/")
_PITFALLS = (
    "Caption = conversations[1]['value'] with newlines replaced by spaces (Long-CLIP's script).",
    "Only the first N entries are read; the rest of the ~1.5 GB file is never parsed.",
    "Images are SA-1B; some are missing from common downloads: --skip-bad-images drops those pairs and "
    "records them (counts['missing_images']), which makes the numbers not comparable to published ones.",
)


def _caption(entry: Any, index: int, source: str) -> str:
    """conversations[1]['value'] of one entry as written, or a DataError naming the entry and what was expected."""
    turns = entry.get("conversations") if isinstance(entry, dict) else None
    if not isinstance(turns, list) or len(turns) < 2 or not isinstance(turns[1], dict):
        raise DataError(f"{source}: entry {index}: expected 'conversations' to be a list of at least 2 turns")
    value = turns[1].get("value")
    if not isinstance(value, str):
        raise DataError(f"{source}: entry {index}: expected conversations[1]['value'] to be a string, "
                        f"found {type(value).__name__}")
    return value


def _repeats(items: list[Item], name: str) -> Notes:
    """Entries whose image an earlier entry already has: kept (the protocol is the file's first N entries, as
    Long-CLIP reads them) but counted and warned about, since identical gallery images make retrieval ambiguous."""
    notes = Notes()
    first: dict[Path, int] = {}
    repeats = [f"entry {i} repeats entry {first[item.path]} ({item.image_id})" for i, item in enumerate(items)
               if first.setdefault(item.path, i) != i]
    notes.counts["repeated_images"] = len(repeats)
    if repeats:
        notes.warnings.append(f"{name}: {len(repeats)} entries repeat an earlier entry's image (kept, as in the "
                              f"published protocol): {'; '.join(repeats[:3])}{' ...' if len(repeats) > 3 else ''}")
    return notes


class _ShareGPT4V(Task):
    #: How many entries from the head of the file form the task.
    entries: ClassVar[int]
    #: How the protocol's code cleans a caption (Long-CLIP's one line, or LoTLIP's sentences).
    clean: ClassVar[Callable[[str], str]] = staticmethod(one_line)

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        path = self.data_file(root, ANNOTATIONS)
        source = f"{self.meta.name}: {path}"
        n = min(self.entries, options.limit or self.entries)
        items = []
        for index, entry in enumerate(json_list_head(path, n, self.meta.name, root)):
            caption = self.clean(_caption(entry, index, source))
            image = entry.get("image")
            image_path = safe_join(root / "data", image, f"{source}: entry {index}")
            items.append(Item(str(image), image_path, [caption]))
        return build_dataset(self, root, items, options, _repeats(items, self.meta.name), repeats_counted=True)

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, [ANNOTATIONS])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """n entries in the real shape (id/image/conversations), SA-1B-style names, long captions."""
        rng = sample_rng(seed, "sharegpt4v")
        entries = []
        for i in range(n):
            image = f"sam/images/sa_{i + 1}.jpg"
            write_image(root / "data" / image, i, seed=seed)
            caption = long_caption(rng, 260, 300) if i == 0 else long_caption(rng)
            # Real captions come as paragraphs: put a newline in some, which the loader turns into a space.
            if i % 3 == 1:
                first, _, rest = caption.partition(". ")
                caption = f"{first}.\n\n{rest}"
            entries.append({"id": f"sa_{i + 1}", "image": image, "conversations": [
                {"from": "human", "value": "<image>\nAnalyze the image in a comprehensive and detailed way."},
                {"from": "gpt", "value": caption}]})
        root.mkdir(parents=True, exist_ok=True)
        (root / ANNOTATIONS).write_text(json.dumps(entries, indent=1), encoding="utf-8")


def _meta(name: str, entries: int, groups: tuple[str, ...], warning: str | None) -> TaskMeta:
    return TaskMeta(
        name=name,
        kind="retrieval",
        family="sharegpt4v",
        description=f"ShareGPT4V-{entries // 1000}k: long GPT-4V-style captions of SA-1B images",
        protocol=f"the first {entries:,} entries of {ANNOTATIONS}, 1:1 retrieval (Long-CLIP's protocol)",
        subdir="sharegpt4v",
        layout=_LAYOUT,
        source=_SOURCE,
        licence="captions CC-BY-NC-4.0 (ShareGPT4V); images SA-1B research licence",
        split=f"entries 0..{entries - 1} of {ANNOTATIONS}, in file order",
        expected={"images": entries, "texts": entries},
        pitfalls=_PITFALLS,
        groups=groups,
        warning=warning,
    )


def _lotlip_meta(name: str, entries: int, warning: str | None) -> TaskMeta:
    return dataclasses.replace(
        _meta(name, entries, (), warning),
        description=f"ShareGPT4V-{entries // 1000}k as LoTLIP reads it: long GPT-4V-style captions of SA-1B images, "
                    "normalised into sentences",
        protocol=f"the first {entries:,} entries of {ANNOTATIONS}, each caption split at newlines, '</s>' and periods "
                 "and re-joined with '. ', 1:1 retrieval (LoTLIP's dataloaders/share4v.py, --share4v_val_num "
                 "1000,10000)",
        pitfalls=("Same entries as sharegpt4v-1k/-10k: LoTLIP's dataloaders/share4v/share4v_sam_10k.json is, by its "
                  "EVAL_DATASETS.md, the top 10k entries of the same file resaved (the file itself is over 4 MiB and "
                  "could not be compared here).",
                  "LoTLIP's normalisation is kept with its side effects: the final period disappears, '3.5' becomes "
                  "'3. 5', newlines become sentence breaks.",
                  *_PITFALLS[1:]),
    )


@register_task
class ShareGPT4V1k(_ShareGPT4V):
    entries = 1000
    meta = _meta("sharegpt4v-1k", 1000,
                 ("long_retrieval", "retrieval", "long_retrieval_2025", "long_retrieval_all"), None)


@register_task
class ShareGPT4V10k(_ShareGPT4V):
    entries = 10_000
    meta = _meta("sharegpt4v-10k", 10_000, (),
                 "overlaps Long-CLIP's and TULIP's training data: both fine-tune on ShareGPT4V entries 1000 "
                 "onwards (TULIP's README keeps the first 1,000 for validation), so entries 1000-9999 are "
                 "training images for their models")


@register_task
class ShareGPT4V1kLoTLIP(_ShareGPT4V):
    entries = 1000
    clean = staticmethod(lotlip_caption)
    meta = _lotlip_meta("sharegpt4v-1k-lotlip", 1000, None)


@register_task
class ShareGPT4V10kLoTLIP(_ShareGPT4V):
    entries = 10_000
    clean = staticmethod(lotlip_caption)
    meta = _lotlip_meta("sharegpt4v-10k-lotlip", 10_000, ShareGPT4V10k.meta.warning)
