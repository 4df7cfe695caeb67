"""DOCCI (Google): the 5,000 test images with their long human descriptions, 1:1, and FLAIR's sentence-level variant."""

from __future__ import annotations

import json
from pathlib import Path

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, RetrievalDataset

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .flair_annotations import flair_items
from .json_files import read_jsonl, string_field
from .retrieval_dataset import Item, build_dataset, status_by_loading
from .sample_captions import long_caption, sample_rng

DESCRIPTIONS = "docci_descriptions.jsonlines"
FINE_GRAINED = "annotations/test_annotations.json"
_SOURCE = ("https://google.github.io/docci (docci_descriptions.jsonlines and docci_images.tar.gz from "
           "https://storage.googleapis.com/docci/data/; `longbench data fetch docci`)")
_LICENCE = "CC-BY-4.0 (descriptions and images)"
_CROP = ("Images are portrait or landscape; the model's resize-and-center-crop cuts off content the description "
         "often mentions (every reference pipeline does the same).")


def _rows(n: int, seed: int) -> list[dict[str, str]]:
    """Description records in the released shape: n test rows between train, qual_dev and qual_test ones."""
    rng = sample_rng(seed, "docci")
    splits = ["train", "qual_dev"] + ["test"] * n + ["qual_test", "train"]
    counters: dict[str, int] = {}
    rows = []
    for split in splits:
        index = counters[split] = counters.get(split, -1) + 1
        example_id = f"{split}_{index:05d}"
        text = long_caption(rng, 260, 300) if split == "test" and index == 0 else long_caption(rng)
        rows.append({"example_id": example_id, "split": split, "image_file": f"{example_id}.jpg", "description": text})
    return rows


def _write_images(root: Path, rows: list[dict[str, str]], seed: int) -> None:
    for index, row in enumerate(rows):
        write_image(root / "images" / row["image_file"], index, seed=seed)


@register_task
class Docci(Task):
    meta = TaskMeta(
        name="docci",
        kind="retrieval",
        family="docci",
        description="DOCCI test: 5,000 images with long, contrastive human descriptions (about 141 CLIP tokens)",
        protocol="entries with split == 'test' in docci_descriptions.jsonlines, in file order, description "
                 "stripped, 1:1 (FineLIP, HiMo-CLIP eval/retrieval/docci.py, LLM2CLIP)",
        subdir="docci",
        layout=f"{DESCRIPTIONS} (one JSON object per line) and images/<image_file>, e.g. images/test_01427.jpg",
        source=_SOURCE,
        licence=_LICENCE,
        split=f"rows of {DESCRIPTIONS} whose split is 'test' (not qual_test, qual_dev or train)",
        expected={"images": 5000, "texts": 5000},
        pitfalls=(
            "94% of descriptions exceed 77 CLIP tokens and about 4% exceed 248: numbers depend on the truncation "
            "rule, so the model's own context decides and is recorded.",
            _CROP,
            "GOAL evaluates test + qual_test (5,100) and fine-tunes on DOCCI train: its numbers are another task.",
            "Published CLIP-L/14 numbers disagree between papers (57.5/60.7 vs 63.1/65.8): report preprocessing.",
        ),
        groups=("long_retrieval_2025", "long_retrieval_all"),
        truncation_profile=(0.944, 0.038),
    )

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        path = self.data_file(root, DESCRIPTIONS)
        items = []
        for number, row in enumerate(read_jsonl(path, self.meta.name, root), 1):
            where = f"{self.meta.name}: {path}: record {number}"
            if string_field(row, "split", where) != "test":
                continue
            image = string_field(row, "image_file", where)
            items.append(Item(Path(image).stem, safe_join(root / "images", image, where),
                              [string_field(row, "description", where).strip()], where=f"{path.name} record {number}"))
        return build_dataset(self, root, items, options)

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, [DESCRIPTIONS, "images"])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """The descriptions file (test rows between rows of other splits) and every row's image."""
        rows = _rows(n, seed)
        _write_images(root, rows, seed)
        root.mkdir(parents=True, exist_ok=True)
        (root / DESCRIPTIONS).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@register_task
class DocciFineGrained(Task):
    meta = TaskMeta(
        name="docci-fg",
        kind="retrieval",
        family="docci",
        description="DOCCI-FG (FLAIR): the 5,000 DOCCI test images against the single sentences of their "
                    "descriptions",
        protocol=f"FLAIR's {FINE_GRAINED}: one sentence per caption, 1:N (an image is found if any of its "
                 "sentences is in the top K), images in order of first appearance (FLAIR src/flair/data.py)",
        subdir="docci",
        layout=f"{FINE_GRAINED} (FLAIR's file: {{'annotations': [{{image_id, image, caption, caption_id}}]}}) "
               "and images/<image>",
        source="https://github.com/ExplainableML/flair (datasets/docci/annotations/test_annotations.json; "
               "`longbench data fetch docci-fg`); images as for docci",
        licence=f"{_LICENCE}; FLAIR's sentence file is in its repository",
        split=f"every row of {FINE_GRAINED}",
        expected={"images": 5000},
        pitfalls=(
            "Not comparable with docci: short single-sentence queries against the same 5,000 images.",
            "FLAIR's sentence split and cleaning are its own; the sentence count of its file is unverified here.",
            _CROP,
        ),
        groups=("long_retrieval_all",),
    )

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        path = self.data_file(root, FINE_GRAINED)
        items = flair_items(self, root, path, lambda image, where: safe_join(root / "images", image, where))
        return build_dataset(self, root, items, options)

    def status(self, root: Path) -> TaskStatus:
        return status_by_loading(self, root, [FINE_GRAINED, "images"])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """FLAIR's file for the n test images (their descriptions cut into sentences) and the images."""
        rows = _rows(n, seed)
        _write_images(root, rows, seed)
        annotations = []
        for image_id, row in enumerate(r for r in rows if r["split"] == "test"):
            for sentence in row["description"].split(". "):
                annotations.append({"image_id": image_id, "image": row["image_file"],
                                    "caption": sentence.rstrip("."), "caption_id": len(annotations)})
        (root / FINE_GRAINED).parent.mkdir(parents=True, exist_ok=True)
        (root / FINE_GRAINED).write_text(json.dumps({"annotations": annotations}, indent=4), encoding="utf-8")
