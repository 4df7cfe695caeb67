"""DCI (Densely Captioned Images): the three incompatible "DCI" retrieval protocols of the literature, one task each.

- `dci` (LoTLIP, FLAIR): every image of splits.json, summary + extra caption, LoTLIP's sentence normalisation;
- `dci-long` (TULIP's Long-DCI, HiMo-CLIP): extra caption only, files sorted, empty extra captions skipped;
- `dci-fgclip` / `dci-fgclip2` (FG-CLIP v1 / 2): extra caption only, every annotation file, empty ones kept
  (v2 lower-cases). They differ from `dci-long` only when an extra caption is empty (dci-long drops the image).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from longbench.data.paths import safe_join
from longbench.datasets import LoadOptions, RetrievalDataset

from . import dci_files, register_task
from .base import Task, TaskMeta, TaskStatus
from .caption_text import lotlip_caption
from .csv_files import read_csv
from .retrieval_dataset import Item, Notes, build_dataset, status_by_loading

_ALL = ("long_retrieval_all",)
_IMAGES = 7805
_THREE = ("Three incompatible 'DCI' numbers circulate: dci (summary + extra, LoTLIP-normalised; CLIP-B/16 about "
          "45/43 R@1), dci-long (extra only; about 35/33) and dci-fgclip (extra only, FG-CLIP): never compare them.")
_PHOTOS = ("Photos are SA-1B shard sa_000138.tar only, behind SA-1B's licence click-through; they are not in "
           "dci.tar.gz.")


def _meta(name: str, description: str, protocol: str, split: str, pitfalls: tuple[str, ...],
          groups: tuple[str, ...] = _ALL) -> TaskMeta:
    return TaskMeta(name=name, kind="retrieval", family="dci", description=description, protocol=protocol,
                    subdir="dci", layout=dci_files.LAYOUT, source=dci_files.SOURCE, licence=dci_files.LICENCE,
                    split=split, expected={"images": _IMAGES, "texts": _IMAGES}, pitfalls=(*pitfalls, _THREE, _PHOTOS),
                    groups=groups)


class _DciTask(Task):
    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, [dci_files.ANNOTATIONS])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        dci_files.write_sample(root, n, seed)

    def _items(self, root: Path, records: list[dci_files.Record], captions: list[str]) -> list[Item]:
        return [Item(r.path.name.removesuffix("-data.json"),
                     dci_files.photo(root, r.image, f"{self.meta.name}: {r.path}"), [caption], where=r.path.name)
                for r, caption in zip(records, captions, strict=True)]


@register_task
class Dci(_DciTask):
    meta = _meta(
        "dci", "DCI, LoTLIP protocol: 7,805 SA-1B photos with dense human descriptions (summary + extra caption)",
        "every image of splits.json (train, valid, test in file order), short_caption + '\\n' + extra_caption split "
        "on newlines, '</s>' and periods and re-joined with '. ', 1:1 (LoTLIP dataloaders/dci_retrieval.py; FLAIR)",
        f"all files listed in {dci_files.SPLITS} (7,599 train + 98 valid + 108 test), in that order",
        ("LoTLIP's normalisation is kept with its side effects: the final period disappears and '3.5' becomes "
         "'3. 5'; newlines become sentence breaks.",
         "Not the DCI paper's own sDCI test (summaries + negatives): that is a different benchmark."),
        groups=("long_retrieval_2025", *_ALL),
    )

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        files = dci_files.split_files(self.meta.name, root, self.data_file(root, dci_files.SPLITS))
        files = files[: options.limit] if options.limit is not None else files
        where = f"{self.meta.name}: {dci_files.SPLITS}"
        records = [dci_files.read_record(self.meta.name, root, safe_join(root / dci_files.ANNOTATIONS, f, where))
                   for f in files]
        captions = [lotlip_caption(f"{r.short}\n{r.extra}") for r in records]
        return build_dataset(self, root, self._items(root, records, captions), options)

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, [dci_files.SPLITS, dci_files.ANNOTATIONS])


class _ExtraCaption(_DciTask):
    """Extra caption only, every annotation file in sorted order."""

    skip_empty: ClassVar[bool]
    lower: ClassVar[bool] = False

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        if not (root / dci_files.ANNOTATIONS).is_dir():
            raise self.missing(root, f"folder {dci_files.ANNOTATIONS}/")
        notes = Notes()
        records: list[dci_files.Record] = []
        empty: list[dci_files.Record] = []
        for path in dci_files.annotation_files(root):
            if options.limit is not None and len(records) == options.limit:
                break  # the files after the first N kept are never parsed (they carry large masks)
            record = dci_files.read_record(self.meta.name, root, path)
            if not record.extra:
                empty.append(record)
                if self.skip_empty:
                    continue
            records.append(record)
        notes.counts["empty_extra_captions"] = len(empty)
        if empty and self.skip_empty:  # kept ones are counted and warned about with every task's (build_dataset)
            notes.warnings.append(f"{self.meta.name}: {len(empty)} empty extra_caption(s) skipped, as TULIP does: "
                                  + ", ".join(r.path.name for r in empty[:5]))
        captions = [r.extra.lower() if self.lower else r.extra for r in records]
        return build_dataset(self, root, self._items(root, records, captions), options, notes)


@register_task
class DciLong(_ExtraCaption):
    skip_empty = True
    meta = _meta(
        "dci-long", "Long-DCI (TULIP): DCI photos with the extra caption alone",
        "extra_caption only, annotations/*.json in sorted order, empty extra captions skipped, 1:1 (TULIP "
        "data_prep/dci_long_part.py + eval/dci_long.py; HiMo-CLIP); reads TULIP's dci_long.csv when the "
        "annotations folder is absent",
        f"every {dci_files.ANNOTATIONS}/*.json with a non-empty extra_caption, sorted by name (or the rows of "
        f"{dci_files.LONG_CSV})",
        ("The extra caption does not contain the one-sentence summary (short_caption).",
         f"{dci_files.LONG_CSV} (HF mderakhshani/Long-DCI) is tab-separated with 'filepath' and 'title'; pandas quotes "
         "captions that hold newlines. Its images are read from the photos folder, not the csv's folder as in TULIP.",
         "The HF card says 7,805 pairs; whether any extra caption is empty (and dropped) is unverified."),
    )

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        if not (root / dci_files.ANNOTATIONS).is_dir() and (root / dci_files.LONG_CSV).is_file():
            return self._load_csv(root, options)
        return super().load(root, options)

    def _load_csv(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        path = self.data_file(root, dci_files.LONG_CSV)
        items = []
        for number, row in read_csv(path, f"{self.meta.name}: {path}", "\t", ("filepath", "title")):
            where = f"{self.meta.name}: {path}: line {number}"
            items.append(Item(Path(row["filepath"]).stem, dci_files.photo(root, row["filepath"], where),
                              [row["title"]], where=f"{path.name} line {number}"))
        return build_dataset(self, root, items, options)

    def status(self, root: Path) -> TaskStatus:
        if not (root / dci_files.ANNOTATIONS).is_dir() and (root / dci_files.LONG_CSV).is_file():
            return status_by_loading(self, root, [dci_files.LONG_CSV])
        return super().status(root)


_FGCLIP = ("FG-CLIP's scripts walk annotations/ with os.listdir (arbitrary order) and keep empty extra captions; "
           "here the order is sorted, which changes no recall but makes per-image reports reproducible.",
           "Differs from dci-long only if an extra caption is empty (dci-long drops that image).",
           "FG-CLIP v1 squashes images to 224x224 instead of the model's resize-and-crop; this task uses the "
           "model's own preprocessing.")


@register_task
class DciFgclip(_ExtraCaption):
    skip_empty = False
    meta = _meta(
        "dci-fgclip", "DCI as FG-CLIP (v1) evaluates it: extra caption only, every annotation file",
        "extra_caption only, every annotations/*.json (sorted), empty captions kept, 1:1 "
        "(FG-CLIP fgclip/eval/dci_retrieval.py @b08f665)",
        f"every {dci_files.ANNOTATIONS}/*.json, sorted by name", _FGCLIP,
    )


@register_task
class DciFgclip2(_ExtraCaption):
    skip_empty = False
    lower = True
    meta = _meta(
        "dci-fgclip2", "DCI as FG-CLIP 2 evaluates it: lower-cased extra caption, every annotation file",
        "extra_caption.lower() only, every annotations/*.json (sorted), empty captions kept, 1:1 "
        "(FG-CLIP 2 fgclip2/eval/dci_retrieval.py @b1af1cd)",
        f"every {dci_files.ANNOTATIONS}/*.json, sorted by name",
        (*_FGCLIP[:2], "FG-CLIP 2 evaluates with max_length 196 and sigmoid scores (ranking unchanged)."),
    )
