"""The released DCI files (facebookresearch/DCI, dci.tar.gz + SA-1B photos): layout, record parsing, a sample writer.

Registers nothing; `dci.py` builds the three published "DCI" protocols on top of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.errors import DataError

from .json_files import read_json, string_field
from .sample_captions import long_caption, sample_rng, short_caption

BASE = "densely_captioned_images"
ANNOTATIONS = f"{BASE}/annotations"
PHOTOS = f"{BASE}/photos"
SPLITS = f"{BASE}/splits.json"
#: TULIP's published Long-DCI file (HF mderakhshani/Long-DCI): tab-separated `filepath`, `title`.
LONG_CSV = "dci_long.csv"
LAYOUT = (f"{SPLITS}, {ANNOTATIONS}/<NNNNNN>-data.json (one per image) and {PHOTOS}/sa_<id>.jpg "
          "(SA-1B shard sa_000138.tar)")
SOURCE = ("annotations: https://dl.fbaipublicfiles.com/densely_captioned_images/dci.tar.gz "
          "(`longbench data fetch dci`); photos: SA-1B sa_000138.tar after accepting the SA-1B licence at "
          "https://ai.meta.com/datasets/segment-anything-downloads/ "
          "(`longbench data fetch dci-photos` prints the steps)")
LICENCE = "annotations CC-BY-NC-4.0 (DCI); photos SA-1B research licence (click-through)"


@dataclass(frozen=True)
class Record:
    """One annotation file's fields that retrieval uses."""

    path: Path
    image: str
    short: str
    extra: str


def read_record(name: str, root: Path, path: Path) -> Record:
    where = f"{name}: {path}"
    data = read_json(path, name, root)
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected a JSON object (a DCI annotation)")
    return Record(path, string_field(data, "image", where), string_field(data, "short_caption", where),
                  string_field(data, "extra_caption", where))


def photo(root: Path, image: str, where: str) -> Path:
    return safe_join(root / PHOTOS, image, where)


def split_files(name: str, root: Path, path: Path) -> list[str]:
    """Every file named in splits.json (at `path`), split after split in file order (train, valid, test), as LoTLIP
    reads it."""
    data = read_json(path, name, root)
    if not isinstance(data, dict) or not all(isinstance(v, list) and all(isinstance(f, str) for f in v)
                                             for v in data.values()):
        raise DataError(f"{name}: {path}: expected a JSON object of split name -> list of annotation file names")
    split_of: dict[str, str] = {}
    for split, files in data.items():
        for file in files:
            if file in split_of:
                raise DataError(f"{name}: {path}: {file} is listed twice (in {split_of[file]!r} and {split!r}); "
                                "each annotation file must be listed once")
            split_of[file] = split
    return list(split_of)


def annotation_files(root: Path) -> list[Path]:
    """Every annotation file in sorted name order (TULIP sorts; FG-CLIP's os.listdir order is made deterministic).

    Hidden files (macOS `._*` copies) are left out, as `glob` leaves them out for TULIP.
    """
    return sorted((p for p in (root / ANNOTATIONS).glob("*.json") if not p.name.startswith(".")),
                  key=lambda p: p.name)


def write_sample(root: Path, n: int, seed: int = 0) -> None:
    """n annotation files, splits.json and photos in the released layout.

    The test split holds the lowest ids, so splits.json order (train, valid, test) differs from sorted order; extra
    captions hold newlines, a decimal number ("3.5 metres") and a trailing period, which LoTLIP's normalisation
    changes; image 0's extra caption is over 248 CLIP tokens.
    """
    rng = sample_rng(seed, "dci")
    ids = [112956 + 3 * i for i in range(n)]
    names = [f"{i}-data.json" for i in ids]
    test, valid, train = names[:2], names[2:3], names[3:]
    for index, (ann_id, file) in enumerate(zip(ids, names, strict=True)):
        image = f"sa_{1545038 + 7 * index}.jpg"
        write_image(root / PHOTOS / image, index, seed=seed)
        extra = long_caption(rng, 260, 300) if index == 0 else long_caption(rng, 60, 160)
        first, _, rest = extra.partition(". ")
        extra = f"{first}, about 3.5 metres wide.\n{rest}" if index % 2 else f"{first}.\n\n{rest}"
        mask = {"idx": 0, "outer_mask": "", "mask_quality": 0, "label": "object", "caption": short_caption(rng),
                "parent": -1, "requirements": [], "bounds": [[0, 0], [10, 12]], "area": 120}
        record = {"image": image, "short_caption": short_caption(rng), "extra_caption": extra,
                  "mask_data": {"0": mask}, "mask_keys": ["0"], "id": ann_id}
        (root / ANNOTATIONS).mkdir(parents=True, exist_ok=True)
        (root / ANNOTATIONS / file).write_text(json.dumps(record), encoding="utf-8")
    (root / SPLITS).write_text(json.dumps({"train": train, "valid": valid, "test": test}), encoding="utf-8")
