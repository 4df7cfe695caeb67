"""MS-COCO caption retrieval: val2017 5k (Long-CLIP's protocol) and the Karpathy 5k test split."""

from __future__ import annotations

import json
from pathlib import Path

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta
from .caption_text import one_line
from .first_captions import FirstCaptionsTask
from .json_files import read_json
from .karpathy import KarpathyTask
from .retrieval_dataset import Item, Notes
from .sample_captions import sample_rng, short_caption

ANNOTATIONS = "annotations/captions_val2017.json"
KARPATHY = "dataset_coco.json"


def _val2017_items(task: Task, root: Path, path: Path, notes: Notes) -> list[Item]:
    """Every listed image sorted by id (torchvision's CocoCaptions order), captions in annotation order."""
    source = f"{task.meta.name}: {path}"
    data = read_json(path, task.meta.name, root)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) \
            or not isinstance(data.get("annotations"), list):
        raise DataError(f"{source}: expected a COCO captions file with 'images' and 'annotations' lists")
    files: dict[int, str] = {}
    ids_of_file: dict[str, int] = {}
    for index, image in enumerate(data["images"]):
        if not isinstance(image, dict) or not _is_id(image.get("id")) or not isinstance(image.get("file_name"), str):
            raise DataError(f"{source}: images[{index}]: expected an object with integer 'id' and 'file_name'")
        if image["id"] in files:
            raise DataError(f"{source}: images[{index}]: image id {image['id']} is listed twice")
        # One file under two ids would be two gallery entries of one image, each "wrong" for the other's captions.
        if image["file_name"] in ids_of_file:
            raise DataError(f"{source}: images[{index}]: file {image['file_name']!r} is listed under image ids "
                            f"{ids_of_file[image['file_name']]} and {image['id']}; each image must be listed once")
        files[image["id"]] = image["file_name"]
        ids_of_file[image["file_name"]] = image["id"]
    captions: dict[int, list[str]] = {image_id: [] for image_id in files}
    orphans = 0
    for index, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or not isinstance(ann.get("caption"), str) or not _is_id(ann.get("image_id")):
            raise DataError(f"{source}: annotations[{index}]: expected an object with an integer 'image_id' and a "
                            f"'caption' string, found {_excerpt(ann)}")
        if ann["image_id"] in captions:
            captions[ann["image_id"]].append(one_line(ann["caption"]))
        else:
            orphans += 1
    notes.counts["captions_of_unlisted_images"] = orphans
    if orphans:
        notes.warnings.append(f"{task.meta.name}: {orphans} captions refer to images not listed in {path.name}")
    return [Item(Path(files[image_id]).stem,
                 safe_join(root / "val2017", files[image_id], f"{source}: image id {image_id}"),
                 captions[image_id]) for image_id in sorted(files)]


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _excerpt(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:80] + "..."


@register_task
class Coco(FirstCaptionsTask):
    annotations = ANNOTATIONS
    required = ("val2017", ANNOTATIONS)
    meta = TaskMeta(
        name="coco",
        kind="retrieval",
        family="coco",
        description="MS-COCO val2017: 5,000 images with 5 human captions each (Long-CLIP's COCO protocol)",
        protocol="every val2017 image, first 5 captions per image in annotation order, 25,000 texts "
                 "(Long-CLIP paper, Table 2)",
        subdir="coco",
        layout=f"val2017/<file_name> and {ANNOTATIONS} (COCO captions format)",
        source="https://cocodataset.org/#download (2017 Val images, 2017 Train/Val annotations)",
        licence="annotations CC-BY-4.0; images under their Flickr licences (COCO terms of use)",
        split=f"all images listed in {ANNOTATIONS}, sorted by image id",
        expected={"images": 5000, "texts": 25000},
        pitfalls=(
            "The annotation file has 25,014 captions: some images have 6-7; only the first 5 in annotation "
            "order are used (as torchvision's CocoCaptions[:5] in Long-CLIP's script).",
            "Images are sorted by id, torchvision's order; the order changes no recall but fixes tie-breaking.",
            "val2017 is not the Karpathy 5k test split most papers use (see coco-karpathy); numbers differ.",
            "Captions are stripped and newlines replaced by spaces (a few COCO captions end in a newline).",
        ),
        groups=("short_retrieval", "retrieval"),
    )

    def items(self, root: Path, path: Path, notes: Notes) -> list[Item]:
        if not (root / "val2017").is_dir():
            raise self.missing(root, "folder val2017/")
        return _val2017_items(self, root, path, notes)

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """n images in val2017/ and a COCO captions file; image 1 has 6 captions, image 2 (n >= 3) only 4.

        Images are listed out of id order and annotations interleaved, as in the real file.
        """
        rng = sample_rng(seed, "coco")
        ids = [139 + 97 * i for i in range(n)]
        images = []
        for i, image_id in enumerate(ids):
            name = f"{image_id:012d}.jpg"
            write_image(root / "val2017" / name, i, seed=seed)
            images.append({"license": 1 + i % 6, "file_name": name,
                           "coco_url": f"http://images.cocodataset.org/val2017/{name}",
                           "height": 36 + 5 * (i % 3), "width": 40 + 7 * (i % 5), "date_captured": "2013-11-14 "
                           "17:02:52", "flickr_url": f"http://farm4.staticflickr.com/{name}", "id": image_id})
        per_image = [6 if i == 1 else 4 if i == 2 and n >= 3 else 5 for i in range(n)]
        annotations = []
        for round_ in range(max(per_image, default=0)):
            for i, image_id in enumerate(ids):
                if round_ < per_image[i]:
                    caption = short_caption(rng) + (" \n" if (i + round_) % 7 == 3 else "")
                    annotations.append({"image_id": image_id, "id": 1000 + len(annotations), "caption": caption})
        data = {"info": {"description": "COCO 2017 Dataset (longbench sample)", "version": "1.0", "year": 2017},
                "licenses": [{"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": 1,
                              "name": "Attribution-NonCommercial-ShareAlike License"}],
                "images": images[::-1], "annotations": annotations}
        (root / ANNOTATIONS).parent.mkdir(parents=True, exist_ok=True)
        (root / ANNOTATIONS).write_text(json.dumps(data), encoding="utf-8")


@register_task
class CocoKarpathy(KarpathyTask):
    annotations = KARPATHY
    required = (KARPATHY,)
    image_folder = None
    dataset = "coco"
    sample_folder = "val2014"
    meta = TaskMeta(
        name="coco-karpathy",
        kind="retrieval",
        family="coco",
        description="MS-COCO Karpathy 5k test split: 5,000 images with 5 captions each",
        protocol="images with split == 'test' in dataset_coco.json, first 5 sentences each (CLIP_benchmark, "
                 "most papers)",
        subdir="coco",
        layout=f"{KARPATHY} (Karpathy format) and <filepath>/<filename>, e.g. val2014/COCO_val2014_*.jpg",
        source="Karpathy splits (https://cs.stanford.edu/people/karpathy/deepimagesent/caption_datasets.zip); "
               "images: https://cocodataset.org/#download (2014 Val images)",
        licence="annotations CC-BY-4.0; images under their Flickr licences (COCO terms of use)",
        split=f"entries of {KARPATHY} with split 'test', in file order",
        expected={"images": 5000, "texts": 25000},
        pitfalls=(
            "Some test images have 6-7 sentences; only the first 5 are used.",
            "Different images from Long-CLIP's val2017 protocol (task coco): the two are not comparable.",
        ),
    )
