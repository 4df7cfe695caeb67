"""ImageInWords (IIW): LoTLIP's pooled 612-image gallery (DOCCI_Test, IIW-400, DCI_Test) and FLAIR's sentence variant.

The task root is LoTLIP's / FLAIR's `imageinwords/` folder: the three IIW jsonl files under their subset names and
the images copied (or linked) into `docci/`, `docci_aar/` and `dci/`.
"""

from __future__ import annotations

import json
from pathlib import Path

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .caption_text import lotlip_caption
from .flair_annotations import flair_items
from .json_files import read_jsonl
from .retrieval_dataset import Item, Notes, build_dataset, status_by_loading
from .sample_captions import long_caption, sample_rng

#: (subset, image folder), in LoTLIP's pool order.
SUBSETS = (("DOCCI_Test", "docci"), ("IIW-400", "docci_aar"), ("DCI_Test", "dci"))
FINE_GRAINED = "test_annotations.json"
#: DCI_Test images whose annotation is in no DCI split (splits.json has 108 test images, IIW 112): ex_id -> photo.
OUTSIDE_DCI_SPLITS = {"118784-data.json": "sa_1550153.jpg", "122198-data.json": "sa_1552796.jpg",
                      "122236-data.json": "sa_1552834.jpg", "123239-data.json": "sa_1553896.jpg"}
_LAYOUT = ("DOCCI_Test/data.jsonl, IIW-400/data.jsonl, DCI_Test/data.jsonl (google/imageinwords datasets/) and the "
           "images in docci/<image>.jpg (DOCCI test), docci_aar/<image/key>.jpg (DOCCI AAR) and dci/<image> "
           "(DCI photos)")
_SOURCE = ("annotations: https://github.com/google/imageinwords/tree/main/datasets (`longbench data fetch iiw`); "
           "images: DOCCI images and AAR images (https://google.github.io/docci), DCI photos (SA-1B sa_000138.tar); "
           "`longbench data fetch iiw-images` prints the steps")
_LICENCE = "IIW annotations CC-BY-4.0; DOCCI images CC-BY-4.0; DCI photos SA-1B research licence (click-through)"
_POOL = "Pooled gallery of three image sources; 208 of its images are also in the docci and dci galleries."


def iiw_image(root: Path, relative: str, where: str) -> tuple[Path, bool]:
    """The image file, with LoTLIP's fallback: a missing name is looked up with 'test' replaced by 'train'.

    (LoTLIP's data_preprocess.py copies `aar_train_*` files under their `aar_test_*` name when the latter is absent
    from the AAR tar.) Returns the path and whether the fallback was used.
    """
    path = safe_join(root, relative, where)
    if not path.exists():
        fallback = path.with_name(path.name.replace("test", "train"))
        if fallback != path and fallback.is_file():
            return fallback, True
    return path, False


def _hint(relative: str, ex_id: str | None) -> str:
    hint = f" (nor LoTLIP's fallback {Path(relative).name.replace('test', 'train')})" if "test" in relative else ""
    if ex_id in OUTSIDE_DCI_SPLITS:
        hint += (f"; DCI_Test {ex_id} is one of the 4 IIW DCI_Test images in no DCI split (splits.json), so a "
                 "photos folder holding only the split images lacks it: take it from SA-1B sa_000138.tar")
    return hint


@register_task
class Iiw(Task):
    meta = TaskMeta(
        name="iiw",
        kind="retrieval",
        family="iiw",
        description="IIW (ImageInWords), LoTLIP's pool: 612 images with very long human descriptions "
                    "(about 243 CLIP tokens)",
        protocol="DOCCI_Test (100), IIW-400 (400), DCI_Test (112) in that order, the IIW field split on newlines, "
                 "'</s>' and periods and re-joined with '. ', 1:1 (LoTLIP dataloaders/iiw_retrieval.py)",
        subdir="imageinwords",
        layout=_LAYOUT,
        source=_SOURCE,
        licence=_LICENCE,
        split="every row of the three jsonl files, subset after subset",
        expected={"images": 612, "texts": 612},
        pitfalls=(
            "43% of IIW descriptions exceed 248 CLIP tokens: 248-token models see only their first part.",
            "A missing image is looked up with 'test' replaced by 'train' (aar_test_* -> aar_train_*), as LoTLIP's "
            "preprocessing does; uses are counted in counts['train_name_fallbacks'].",
            "LoTLIP's normalisation: the final period disappears, '3.5' becomes '3. 5', newlines are sentence breaks.",
            _POOL,
            "FLAIR's 'IIW' number is the sentence-level task iiw-fg, not this one.",
        ),
        groups=("long_retrieval_2025", "long_retrieval_all"),
        truncation_profile=(0.992, 0.430),
    )

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        paths = [self.data_file(root, f"{subset}/data.jsonl") for subset, _ in SUBSETS]
        notes = Notes()
        items = []
        for (subset, folder), path in zip(SUBSETS, paths, strict=True):
            for number, row in enumerate(read_jsonl(path, self.meta.name, root), 1):
                where = f"{self.meta.name}: {path}: line {number}"
                name = row.get("image", row.get("image/key"))
                if not isinstance(name, str) or not isinstance(row.get("IIW"), str):
                    raise DataError(f"{where}: expected a string 'image' (or 'image/key') and a string 'IIW'")
                name += "" if ".jpg" in name else ".jpg"
                image, fallback = iiw_image(root / folder, name, where)
                notes.counts["train_name_fallbacks"] = notes.counts.get("train_name_fallbacks", 0) + fallback
                items.append(Item(f"{folder}/{Path(name).stem}", image, [lotlip_caption(row["IIW"])],
                                  _hint(name, row.get("ex_id")), where=f"{subset}/data.jsonl line {number}"))
        return build_dataset(self, root, items, options, notes)

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, [f"{subset}/data.jsonl" for subset, _ in SUBSETS])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        write_sample(root, n, seed)


@register_task
class IiwFineGrained(Task):
    meta = TaskMeta(
        name="iiw-fg",
        kind="retrieval",
        family="iiw",
        description="IIW-FG (FLAIR): the 612 IIW images against the single sentences of their descriptions",
        protocol=f"FLAIR's {FINE_GRAINED}: 6,204 sentences, 1:N (an image is found if any of its sentences is in "
                 "the top K), images in order of first appearance (FLAIR's default --use-finegrained-iiw)",
        subdir="imageinwords",
        layout=f"{FINE_GRAINED} (FLAIR's file: {{'annotations': [{{image_id, image, caption, caption_id}}]}}, "
               "image paths like docci_aar/aar_test_04600.jpg) and the image folders docci/, docci_aar/, dci/",
        source="https://github.com/ExplainableML/flair (datasets/imageinwords/test_annotations.json; "
               "`longbench data fetch iiw`); images as for iiw",
        licence=_LICENCE,
        split=f"every row of {FINE_GRAINED}",
        expected={"images": 612, "texts": 6204},
        pitfalls=(
            "FLAIR reports this as 'IIW': it is not comparable with the 1:1 iiw task.",
            "Sentences are FLAIR's own split (a naive split gives 6,216; FLAIR cleaned a few by hand).",
            "The same 'test' -> 'train' image-name fallback as iiw.",
            _POOL,
        ),
        groups=("long_retrieval_all",),
        truncation_profile=(0.002, 0.0),
    )

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        path = self.data_file(root, FINE_GRAINED)
        items = flair_items(self, root, path, lambda image, where: iiw_image(root, image, where)[0])
        return build_dataset(self, root, items, options)

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, [FINE_GRAINED])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        rows = write_sample(root, n, seed)
        annotations = []
        for image_id, (relative, text) in enumerate(rows):
            for sentence in lotlip_caption(text).split(". "):
                annotations.append({"image_id": image_id, "image": relative, "caption": sentence,
                                    "caption_id": len(annotations)})
        (root / FINE_GRAINED).write_text(json.dumps({"annotations": annotations}, indent=4), encoding="utf-8")


def write_sample(root: Path, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """The three jsonl files and their images; returns (image path under root, IIW text) in pool order.

    The n images are split over the subsets (DOCCI_Test gets the remainder); the second IIW-400 image exists only
    under its aar_train_* name (LoTLIP's fallback), and the last DCI_Test row is one of the 4 outside DCI's splits.
    """
    rng = sample_rng(seed, "iiw")
    sizes = {"IIW-400": max(1, n // 3), "DCI_Test": max(1, n // 3)}
    sizes["DOCCI_Test"] = max(1, n - sum(sizes.values()))
    pool: list[tuple[str, str]] = []
    for subset, folder in SUBSETS:
        rows = []
        for i in range(sizes[subset]):
            text = long_caption(rng, 260, 320) if i == 0 else long_caption(rng, 150, 260)
            text = text.replace(". ", ".\n\n", 1) if i % 2 else text
            if subset == "DOCCI_Test":
                key = f"test_{731 + 97 * i:05d}"
                row, file = {"image": key, "IIW": text, "DOCCI": long_caption(rng)}, f"{key}.jpg"
            elif subset == "IIW-400":
                key = f"aar_test_{4600 + i:05d}"
                row, file = {"image/key": key, "IIW": text, "IIW-P5B": long_caption(rng), "objects": []}, f"{key}.jpg"
                file = file.replace("test", "train") if i == 1 else file
            else:
                ex_id, file = (("123239-data.json", "sa_1553896.jpg") if i == sizes[subset] - 1 and i
                               else (f"{113029 + 5 * i}-data.json", f"sa_{1545038 + 11 * i}.jpg"))
                row = {"IIW": text, "ex_id": ex_id, "image": file, "metrics/Comprehensiveness": "IIW is better"}
            write_image(root / folder / file, len(pool), seed=seed)
            pool.append((f"{folder}/{file.replace('train', 'test')}", text))
            rows.append(row)
        (root / subset).mkdir(parents=True, exist_ok=True)
        (root / subset / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return pool
