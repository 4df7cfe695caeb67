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

# DOCCI: public GCS objects; no checksum is published, so the server's Content-Length is the check.
_DOCCI = "https://storage.googleapis.com/docci/data"
_DESCRIPTIONS = "docci_descriptions.jsonlines"
DOCCI_DESCRIPTIONS = Part("docci-descriptions", f"{_DOCCI}/{_DESCRIPTIONS}", _DESCRIPTIONS, "file",
                          (Place(_DESCRIPTIONS, "docci", _DESCRIPTIONS),))
DOCCI_IMAGES = Part("docci-images", f"{_DOCCI}/docci_images.tar.gz", "docci_images.tar.gz", "tar",
                    (Place("images", "docci", "images"),))
# Files of a GitHub repository at a pinned commit, checked against sha256 and size measured on those commits.
_RAW = "https://raw.githubusercontent.com"
_IIW_COMMIT = "96d393777e2528becd8a7afa1389eb4b65084793"  # google/imageinwords; its datasets/ last changed in c8746bd
_FLAIR_COMMIT = "0f9ce05886d1ee0aa2c628653104cce77a1fff14"  # ExplainableML/flair


def _iiw_part(subset: str, sha256: str, size: int) -> Part:
    return Part(f"iiw-{subset.lower()}", f"{_RAW}/google/imageinwords/{_IIW_COMMIT}/datasets/{subset}/data.jsonl",
                f"iiw-{subset}-data.jsonl", "file",
                (Place(f"iiw-{subset}-data.jsonl", "iiw", f"{subset}/data.jsonl"),), Expect(sha256=sha256, size=size))


IIW_PARTS = (
    _iiw_part("DOCCI_Test", "f422b726c1af21a5154282cf8790ce110e03d5c94457d77d7002a50f17c984d1", 208_145),
    _iiw_part("IIW-400", "88809dde73731208fa98f72430225a9122c8f7e3c4ebcde98e255d62c5f203f2", 980_175),
    _iiw_part("DCI_Test", "59ec2a3b5c3885a3313b73656d57db2bf9861d48e4414b0692833ba9380a2cf1", 168_998),
    Part("iiw-fg-annotations",
         f"{_RAW}/ExplainableML/flair/{_FLAIR_COMMIT}/datasets/imageinwords/test_annotations.json",
         "iiw-test_annotations.json", "file", (Place("iiw-test_annotations.json", "iiw-fg", "test_annotations.json"),),
         Expect(sha256="e8d302f5e483134324ed473b70eeb73ec97bb92e04db3d996e7ba127f526770e", size=1_643_242)),
)
# Over 4 MB, not in the copy of FLAIR's repository that was read: pinned by commit, checked by Content-Length only.
DOCCI_FG = Part("docci-fg-annotations",
                f"{_RAW}/ExplainableML/flair/{_FLAIR_COMMIT}/datasets/docci/annotations/test_annotations.json",
                "docci-test_annotations.json", "file",
                (Place("docci-test_annotations.json", "docci-fg", "annotations/test_annotations.json"),))
# DCI's download.py checked 9caff10c... when released (2023-12-14) and d865c244... since its commit 5e89393
# "Update download.py checksum" (2024-06-03): the tarball was re-uploaded, and third-party manifests still carry the
# old value. The publisher's current value is pinned.
DCI_ANNOTATIONS = Part("dci-annotations", "https://dl.fbaipublicfiles.com/densely_captioned_images/dci.tar.gz",
                       "dci.tar.gz", "tar",
                       (Place("densely_captioned_images/annotations", "dci", "densely_captioned_images/annotations"),
                        Place("densely_captioned_images/splits.json", "dci", "densely_captioned_images/splits.json")),
                       Expect(sha256="d865c244150168d3f25daaad0bf5b70b2123cf3e83ca7b0e207d5b26943c5fc7"))
# The compositional tasks' annotation files, from their authors' repositories at pinned commits (sha256 and size
# measured on those commits' blobs). Their images are COCO val2017 (`fetch coco`) or behind a form (Manual below).
_SUGARCREPE_COMMIT = "0047054b243992f0fad63d6f64f7544862daf846"  # RAIVNLab/sugar-crepe; data/ last changed in 546eb51
_SCPP_COMMIT = "c083bbf039a5ca215acaf25e7ee736d2ea6f3864"  # Sri-Harsha/scpp; data/ last changed in cfdcd82


def _annotation_part(repo: str, commit: str, folder: str, subset: str, task: str, sha256: str, size: int) -> Part:
    filename = f"{repo.split('/')[1]}-{subset}.json"
    return Part(f"{task}-json", f"{_RAW}/{repo}/{commit}/{folder}/{subset}.json", filename, "file",
                (Place(filename, task, f"data/{subset}.json"),), Expect(sha256=sha256, size=size))


SUGARCREPE_PARTS = tuple(_annotation_part("RAIVNLab/sugar-crepe", _SUGARCREPE_COMMIT, "data", subset,
                                          f"sugarcrepe-{subset}", sha, size) for subset, sha, size in (
    ("add_att", "012d88d729693d193760e6f3393b06a1cf874380a9db0062e937201199fe044d", 158_863),
    ("add_obj", "1b9d76b93139a937b8dc1ada92a4f05ecc821bb3c291d752428bafadd4bb0682", 484_593),
    ("replace_att", "9fe55fd4c0a9ad1f85d486d9f6d0215b41f867eb025026e7f7b5ce44352545ee", 176_843),
    ("replace_obj", "9d299600639947e9d15281a9ded1382b376cf4ea088a8d08a1314bfe76e81898", 361_126),
    ("replace_rel", "356bcc2fc4c6aed3f4d9fd50acc58489bb1fe70c28791f9368d4cbf9ea39cdc9", 312_629),
    ("swap_att", "7a7ce04e5c4c80412b48c6f0c1347fb1a2f5d54c0be6aa429b64d390e442f8d0", 154_665),
    ("swap_obj", "073cdb8e253d053614e80710834d9773b09dbc1dd0a412f6f9492262caa1dcad", 57_569)))
SUGARCREPE_PP_PARTS = tuple(_annotation_part("Sri-Harsha/scpp", _SCPP_COMMIT, "data", subset,
                                             f"sugarcrepe-pp-{subset}", sha, size) for subset, sha, size in (
    ("replace_att", "6826413592894754eeca02aeebbcbbc8b95a7456998abcc714e71c033ce6fe87", 226_275),
    ("replace_obj", "5c6dc499ec8f511a8aa4ec1b7b5eb0eca90317488abe36ec39573355e2d361ab", 456_601),
    ("replace_rel", "040fb95d3f0619bf515db60879e99709a87a5e9b4f524ec3403b127243480fd4", 392_738),
    ("swap_att", "450d0fd9fcad3e6f44950dc634e7f901ab1c6d9c60a569ade5ae8ffb3d203ad8", 198_206),
    ("swap_obj", "5f33cae824de431a7ecd3c5de6301f689815f9497aa36d96b154bbaf117b201b", 74_611)))
_COCO_IMAGES_NOTE = "images are COCO val2017: `longbench data fetch coco` puts them in coco/val2017/, which these read"
_SA1B = "https://ai.meta.com/datasets/segment-anything-downloads/"
_DCI_TASKS = ("dci", "dci-long", "dci-fgclip", "dci-fgclip2")

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
    Source("docci", "DOCCI descriptions and images (Google Cloud Storage, 7.6 GB of images)",
           (DOCCI_DESCRIPTIONS, DOCCI_IMAGES), ("docci",), "CC-BY-4.0"),
    Source("docci-fg", f"FLAIR's DOCCI sentence file (ExplainableML/flair@{_FLAIR_COMMIT[:8]})", (DOCCI_FG,),
           ("docci-fg",), "CC-BY-4.0 (DOCCI); FLAIR's file from its repository",
           note="images: `longbench data fetch docci` puts them in docci/images/, which docci-fg shares"),
    Source("iiw", f"ImageInWords jsonl files (google/imageinwords@{_IIW_COMMIT[:8]}) and FLAIR's IIW sentence file",
           IIW_PARTS, ("iiw", "iiw-fg"), "CC-BY-4.0",
           note="images are not in these files: `longbench data fetch iiw-images` prints how to fill docci/, "
                "docci_aar/ and dci/"),
    Source("dci", "DCI annotations and splits.json from dci.tar.gz (the photos are SA-1B, behind a licence form)",
           (DCI_ANNOTATIONS,), _DCI_TASKS, "CC-BY-NC-4.0",
           note="photos are SA-1B shard sa_000138.tar behind a licence click-through: `longbench data fetch "
                "dci-photos` prints the steps"),
    Source("sugarcrepe", f"SugarCrepe's seven annotation files (RAIVNLab/sugar-crepe@{_SUGARCREPE_COMMIT[:7]})",
           SUGARCREPE_PARTS, tuple(p.places[0].task for p in SUGARCREPE_PARTS), "MIT (annotations); images COCO",
           note=_COCO_IMAGES_NOTE),
    Source("sugarcrepe-pp", f"SugarCrepe++'s five annotation files (Sri-Harsha/scpp@{_SCPP_COMMIT[:7]})",
           SUGARCREPE_PP_PARTS, tuple(p.places[0].task for p in SUGARCREPE_PP_PARTS),
           "MIT (repository LICENSE; the README says CC-BY-4.0); images COCO", note=_COCO_IMAGES_NOTE),
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
    Manual("dci-photos", f"{_SA1B} (accept the SA-1B licence; the page then lists the shard links)",
           "sa_000138.tar (one SA-1B shard: JPEGs and their mask .json files)",
           "extract the JPEGs of sa_000138.tar into <root>/densely_captioned_images/photos/ so that "
           "photos/sa_1545038.jpg exists (the mask .json files are not needed)", ("dci",)),
    Manual("iiw-images", f"https://google.github.io/docci (DOCCI images, public) and {_SA1B} (DCI photos, licence)",
           "docci_images.tar.gz and docci_images_aar.tar.gz (DOCCI), sa_000138.tar (SA-1B shard of DCI)",
           "copy or link the images the jsonl files name: <root>/docci/test_NNNNN.jpg from DOCCI's images/, "
           "<root>/docci_aar/aar_test_NNNNN.jpg from the AAR archive (a missing aar_test_N is read as aar_train_N, "
           "as LoTLIP does), <root>/dci/sa_N.jpg from the DCI photos (4 of them are outside DCI's splits but in "
           "sa_000138.tar)", ("iiw",)),
    Manual("winoground", "https://huggingface.co/datasets/facebook/winoground (log in, accept the licence agreement)",
           "data/examples.jsonl and data/images.zip",
           "put both in <root>/data/ so that <root>/data/examples.jsonl and <root>/data/images.zip exist; the zip is "
           "read as it is (or extract it there: <root>/data/images/ex_0_img_0.png)", ("winoground",)),
    Manual("aro", "Google Drive, the ids in mertyg/vision-language-models-are-bows' dataset_zoo/aro_datasets.py "
           "(no checksum published): visual_genome_relation.json 1kX2iCHEv0CADL8dSO1nMdW-V0NqIAiP3, "
           "visual_genome_attribution.json 13tWvOrNOLHxl3Rm9cR3geAdHx2qR3-Tw, vgr_vga_images.zip "
           "1qaPlrwhGNMrR3a11iopZUT_GPP_LrgP9",
           "visual_genome_relation.json, visual_genome_attribution.json and vgr_vga_images.zip (about 1 GB)",
           "put the two JSON files in <root>/ and unzip vgr_vga_images.zip there so that <root>/images/<image_path> "
           "exists (`gdown <id>` downloads each)", ("aro-vg-relation", "aro-vg-attribution")),
):
    MANUAL.add(_manual.name, _manual)


def source_for_task(task: str) -> Source | None:
    """The source that provides a task's files: the one named like the task, else the first that lists it."""
    if task in SOURCES and task in SOURCES.get(task).tasks:
        return SOURCES.get(task)
    return next((source for _, source in SOURCES.items() if task in source.tasks), None)


def manual_for_task(task: str) -> Manual | None:
    return next((manual for _, manual in MANUAL.items() if task in manual.tasks), None)
