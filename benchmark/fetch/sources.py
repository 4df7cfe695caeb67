"""Where each downloadable dataset comes from, how to check it, and where its contents go under the data root.

One `Source` per name that `longbench data fetch NAME` accepts; a source is one or more `Part`s (files to
download), and each part lists the `Place`s that move archive members onto a task's layout. Datasets that need an
account or a licence form are `Manual` entries: instructions only.

Checksums are the publisher's own (CIFAR's md5 from its web page); where none is published the download is checked
against the server's Content-Length only, and the report says so. Never add a checksum that was not published or
measured from the original file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..registry import Registry

ArchiveKind = Literal["zip", "tar", "file"]


@dataclass(frozen=True)
class Expect:
    """What a downloaded file is checked against; all None means 'the server's Content-Length only'."""

    md5: str | None = None
    sha256: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Place:
    """Move `member` (a file or folder inside the archive, '/'-separated) to `<task root>/<to>` ('' = the root)."""

    member: str
    task: str
    to: str


@dataclass(frozen=True)
class Part:
    #: Stable id, used for the completion marker (shared parts are fetched once).
    id: str
    url: str
    #: File name of the download; also what a mirror folder or base URL must contain.
    filename: str
    kind: ArchiveKind
    places: tuple[Place, ...]
    expect: Expect = Expect()


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    parts: tuple[Part, ...]
    #: Tasks this source provides files for.
    tasks: tuple[str, ...]
    licence: str
    #: What the source does not provide (e.g. images behind a form), printed after a fetch and in `data status`.
    note: str = ""


@dataclass(frozen=True)
class Manual:
    """A dataset that needs an account or a licence: which site, which files, what to do with them."""

    name: str
    site: str
    files: str
    steps: str
    tasks: tuple[str, ...]


_HF = "https://huggingface.co/datasets"
_COCO = "http://images.cocodataset.org"
_KARPATHY_URL = "https://cs.stanford.edu/people/karpathy/deepimagesent/caption_datasets.zip"
_SHAREGPT4V_JSON = "share-captioner_coco_lcs_sam_1246k_1107.json"

URBAN1K = Part("urban1k-zip", f"{_HF}/BeichenZhang/Urban1k/resolve/main/Urban1k.zip", "Urban1k.zip", "zip",
               (Place("Urban1k", "urban1k", ""),))
COCO_VAL2017 = Part("coco-val2017", f"{_COCO}/zips/val2017.zip", "val2017.zip", "zip",
                    (Place("val2017", "coco", "val2017"),))
# Only the captions file is kept from the 241 MB annotations archive.
COCO_CAPTIONS2017 = Part("coco-captions2017", f"{_COCO}/annotations/annotations_trainval2017.zip",
                         "annotations_trainval2017.zip", "zip",
                         (Place("annotations/captions_val2017.json", "coco", "annotations/captions_val2017.json"),))
COCO_VAL2014 = Part("coco-val2014", f"{_COCO}/zips/val2014.zip", "val2014.zip", "zip",
                    (Place("val2014", "coco-karpathy", "val2014"),))
KARPATHY = Part("karpathy-splits", _KARPATHY_URL, "caption_datasets.zip", "zip",
                (Place("dataset_coco.json", "coco-karpathy", "dataset_coco.json"),
                 Place("dataset_flickr30k.json", "flickr30k", "dataset_flickr30k.json")))
CIFAR10 = Part("cifar10-python", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "cifar-10-python.tar.gz",
               "tar", (Place("cifar-10-batches-py", "cifar10", "cifar-10-batches-py"),),
               Expect(md5="c58f30108f718f92721af3b95e74349a"))
CIFAR100 = Part("cifar100-python", "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                "cifar-100-python.tar.gz", "tar", (Place("cifar-100-python", "cifar100", "cifar-100-python"),),
                Expect(md5="eb9058c3a382ffc7106e4002c42a8d85"))
SHAREGPT4V = Part("sharegpt4v-json", f"{_HF}/Lin-Chen/ShareGPT4V/resolve/main/{_SHAREGPT4V_JSON}", _SHAREGPT4V_JSON,
                  "file", (Place(_SHAREGPT4V_JSON, "sharegpt4v-1k", _SHAREGPT4V_JSON),))

_COCO_LICENCE = "annotations CC-BY-4.0; images under their Flickr licences (COCO terms of use)"
_CIFAR_LICENCE = "no explicit licence; cite Krizhevsky 2009"
_FLICKR_FORM = ("https://shannon.cs.illinois.edu/DenotationGraph/ (fill in the request form; the reply links "
                "flickr30k-images.tar.gz and flickr30k.tar.gz)")

SOURCES: Registry[Source] = Registry("fetchable dataset")
for _source in (
    Source("urban1k", "Urban1k: 1,000 images and long captions (Hugging Face BeichenZhang/Urban1k)", (URBAN1K,),
           ("urban1k",), "CC-BY-NC-4.0"),
    Source("coco", "COCO val2017 images and captions_val2017.json", (COCO_VAL2017, COCO_CAPTIONS2017), ("coco",),
           _COCO_LICENCE),
    Source("karpathy", "Karpathy split files dataset_coco.json and dataset_flickr30k.json (caption_datasets.zip)",
           (KARPATHY,), ("coco-karpathy", "flickr30k"), "as the underlying datasets (COCO, Flickr30k)",
           note=f"flickr30k images need a request form: {_FLICKR_FORM}; put them in flickr30k/flickr30k-images/"),
    Source("coco-karpathy", "COCO Karpathy 5k test: dataset_coco.json and the val2014 images", (KARPATHY, COCO_VAL2014),
           ("coco-karpathy",), _COCO_LICENCE),
    Source("cifar10", "CIFAR-10, python version", (CIFAR10,), ("cifar10",), _CIFAR_LICENCE),
    Source("cifar100", "CIFAR-100, python version", (CIFAR100,), ("cifar100",), _CIFAR_LICENCE),
    Source("sharegpt4v", f"ShareGPT4V caption file {_SHAREGPT4V_JSON} (Hugging Face Lin-Chen/ShareGPT4V)",
           (SHAREGPT4V,), ("sharegpt4v-1k", "sharegpt4v-10k"), "captions CC-BY-NC-4.0; images SA-1B research licence",
           note="images are SA-1B: accept the licence at https://ai.meta.com/datasets/segment-anything-downloads/, "
                "download the sa_*.tar shards that hold the images the first 1,000 (or 10,000) entries name, and "
                "unpack them so that <data-root>/sharegpt4v/data/<entry 'image' field> exists "
                "(e.g. data/sam/images/sa_1.jpg)"),
):
    SOURCES.add(_source.name, _source)

MANUAL: Registry[Manual] = Registry("manual dataset")
for _manual in (
    Manual("imagenet", "https://image-net.org/download (account; accept the ImageNet terms of access)",
           "ILSVRC2012_img_val.tar (the 50,000 validation JPEGs)",
           "unpack it into <root>/val/ and sort the flat JPEGs into one folder per wnid (e.g. with the widely "
           "used valprep.sh), so that val/n01440764/ILSVRC2012_val_00000293.JPEG exists", ("imagenet",)),
    Manual("objectnet", "https://objectnet.dev/download.html (licence form; the zip password is on that page)",
           "objectnet-1.0.zip",
           "unzip it (with the password) into <root>/ so that <root>/objectnet-1.0/images/ and "
           "<root>/objectnet-1.0/mappings/ exist", ("objectnet",)),
    Manual("flickr30k", _FLICKR_FORM, "flickr30k-images.tar.gz (images); the Karpathy split file comes from "
           "`longbench data fetch karpathy`",
           "unpack flickr30k-images.tar.gz into <root>/ so that <root>/flickr30k-images/<name>.jpg exists",
           ("flickr30k",)),
    Manual("flickr30k-full", _FLICKR_FORM, "flickr30k-images.tar.gz and flickr30k.tar.gz (captions)",
           "unpack both into <root>/ so that <root>/flickr30k-images/ and <root>/results_20130124.token exist",
           ("flickr30k-full",)),
    Manual("urban-200", "the Long-CLIP authors (https://github.com/beichenzbc/Long-CLIP; not publicly released "
           "as a download)", "the 200-pair Urban set (superseded by Urban1k: `longbench data fetch urban1k`)",
           "put it under <root>/ as image/<n>.jpg and caption/<n>.txt", ("urban-200",)),
):
    MANUAL.add(_manual.name, _manual)


def source_for_task(task: str) -> Source | None:
    """The source that provides a task's files: the one named like the task, else the first that lists it."""
    if task in SOURCES and task in SOURCES.get(task).tasks:
        return SOURCES.get(task)
    return next((source for _, source in SOURCES.items() if task in source.tasks), None)


def manual_for_task(task: str) -> Manual | None:
    return next((manual for _, manual in MANUAL.items() if task in manual.tasks), None)
