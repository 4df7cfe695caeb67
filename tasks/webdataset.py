"""CLIP_benchmark's WebDataset shards as a task: `wds:DIR`, or `wds:` of a Hugging Face Hub dataset of that layout.

The layout (CLIP_benchmark `datasets/builder.py` `build_wds_dataset`, read here as it reads it):

    DIR/dataset_type.txt                          retrieval | classification (missing: classification)
    DIR/classnames.txt                            classification: one class name per line (stripped)
    DIR/zeroshot_classification_templates.txt     classification: one template per line, `{c}` for the class
    DIR/test/nshards.txt                          the number of shards n (optional here: then every N.tar)
    DIR/test/0.tar ... DIR/test/<n-1>.tar         samples: KEY.webp|png|jpg|jpeg with KEY.txt or KEY.cls

Only the `test` split is read (CLIP_benchmark's default `--split`). Samples are grouped as webdataset groups them:
regular members in archive order, shards in number order; a member's key is its name up to the first dot of its
base name and its extension the rest, lower-cased; consecutive members of one key form one sample; names without a
dot and `__meta__` names are passed over, and other extensions of a sample (`.json`, ...) are ignored. A sample's
image is the first of webp, png, jpg, jpeg it has (CLIP_benchmark's `to_tuple` order). Retrieval: the gallery is the
samples in order, and every line of KEY.txt (UTF-8, `str.splitlines`) is one caption of its image, an empty line
included (kept as empty text and counted, as CLIP_benchmark tokenizes it). Classification: KEY.cls is the class
index (`int`), the prompts are the shipped templates and class names (used unless --templates names others).

Where CLIP_benchmark would stop or go wrong, longbench refuses with one line naming the file: a key without an image
or without its caption/class file, an empty caption file, a key repeated, a class index outside classnames.txt, a
template without `{c}`, an unknown or multilabel dataset_type, nshards.txt disagreeing with the numbered shards, a
shard that is not an uncompressed tar archive or holds no sample.

Shards are read in place: indexing reads the tar headers and the small caption/class files, each image stays a
`TarMember` (its offset and size in the archive) that the loader's workers read and decode when it is encoded, and
its content digest keys the embedding cache. Under torchrun every rank indexes the shards (headers only) and
encodes its contiguous share of the image batches, hence of the samples in shard order (encode.py).
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from longbench.cache_home import WEBDATASETS, cache_folder
from longbench.data.fingerprint import fingerprint
from longbench.data.paths import is_regular_file
from longbench.data.synthetic import synthetic_rgb
from longbench.data.tar_member import TarMember
from longbench.datasets import ClassificationDataset, Dataset, LoadOptions, RetrievalDataset
from longbench.errors import DataError
from longbench.offline import VARIABLES, offline
from longbench.prompts import shipped_prompts

from . import TASKS, register_source
from .base import Kind, Task, TaskMeta, TaskStatus
from .retrieval_dataset import Item, Notes, count_empty_captions
from .sample_captions import long_caption, sample_rng
from .stratified_limit import apply_limit

SPLIT = "test"
NSHARDS = "nshards.txt"
DATASET_TYPE = "dataset_type.txt"
CLASSNAMES = "classnames.txt"
TEMPLATES = "zeroshot_classification_templates.txt"
#: CLIP_benchmark's `to_tuple(["webp", "png", "jpg", "jpeg"], ...)`: a sample's image is the first of these it has.
IMAGE_EXTENSIONS = ("webp", "png", "jpg", "jpeg")
#: dataset_type.txt (stripped, lower-cased) -> the task kind.
KINDS: dict[str, Kind] = {"retrieval": "retrieval", "classification": "classification"}
#: The file a sample's label comes from, per kind.
LABEL_FILE = {"retrieval": "txt", "classification": "cls"}
LAYOUT = (f"{DATASET_TYPE} (retrieval or classification), {CLASSNAMES} and {TEMPLATES} (classification), "
          f"{SPLIT}/{NSHARDS} and {SPLIT}/0.tar ... holding KEY.webp|png|jpg|jpeg with KEY.txt (captions, one a line) "
          f"or KEY.cls (class index)")
#: webdataset's `base_plus_ext` and its `skip_meta`.
_KEY = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")
_META = re.compile(r"__[^/]*__($|/)")
#: What a Hub dataset download fetches: the metadata files and the test split's shards.
HUB_FILES = (f"{SPLIT}/*", DATASET_TYPE, CLASSNAMES, TEMPLATES)


@dataclass
class Sample:
    """One key's members in one shard: its images by extension and the bytes of its small files."""

    key: str
    shard: str
    images: dict[str, TarMember] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    extensions: set[str] = field(default_factory=set)

    def where(self, extension: str = "") -> str:
        return f"{self.shard} {self.key}" + (f".{extension}" if extension else "")

    def image(self, name: str) -> TarMember:
        found = next((self.images[e] for e in IMAGE_EXTENSIONS if e in self.images), None)
        if found is None:
            raise DataError(f"{name}: {self.where()} has no image ({', '.join('.' + e for e in IMAGE_EXTENSIONS)}); "
                            f"its files: {', '.join(sorted(self.extensions))}")
        return found

    def label_file(self, name: str, extension: str) -> bytes:
        if extension not in self.data:
            raise DataError(f"{name}: {self.where()} has no {self.key}.{extension} (every sample of a "
                            f"{'retrieval' if extension == 'txt' else 'classification'} dataset needs one); "
                            f"its files: {', '.join(sorted(self.extensions))}")
        return self.data[extension]


class WebDatasetTask(Task):
    """A retrieval or classification task read from CLIP_benchmark's WebDataset shards (module doc)."""

    def __init__(self, spec: str):
        self.spec = spec
        repo = hub_repo(spec)
        self.folder = hub_download(spec, *repo) if repo else Path(spec).expanduser()
        name = repo[0].split("/")[1] if repo else self.folder.name
        if not name or name in TASKS:
            raise DataError(f"wds:{spec}: results are named after the folder ({name!r}), which "
                            f"{'is a built-in task name' if name else 'is empty'}; rename the folder")
        kind = dataset_kind(self.folder)
        self.meta = TaskMeta(
            name=name, kind=kind, family="user", description=f"WebDataset shards: wds:{spec}",
            protocol=(f"CLIP_benchmark's zeroshot_{kind} on the {SPLIT} split of wds:{name}: "
                      + ("every line of KEY.txt a caption, hit@K retrieval" if kind == "retrieval" else
                         f"KEY.cls labels, the shipped {CLASSNAMES} and {TEMPLATES}")),
            subdir="", layout=LAYOUT, source=spec, licence="as the data's owner states",
            split=f"{SPLIT}/0.tar ... in shard and archive order", expected={})

    def root(self, data_root: Path | None, overrides: dict[str, Path] | None = None) -> Path:
        return self.folder

    def load(self, root: Path, options: LoadOptions) -> Dataset:
        if not root.is_dir():
            raise self.missing(root.parent, root.name)
        samples = read_samples(root, self.meta.name)
        if self.meta.kind == "retrieval":
            return self._retrieval(root, samples, options)
        return self._classification(root, samples, options)

    def _retrieval(self, root: Path, samples: list[Sample], options: LoadOptions) -> RetrievalDataset:
        name, notes = self.meta.name, Notes()
        chosen = samples[:options.limit] if options.limit is not None else samples
        items, images = [], []
        for sample in chosen:
            images.append(sample.image(name))
            text = _utf8(sample.label_file(name, "txt"), f"{name}: {sample.where('txt')}")
            captions = text.splitlines()
            if not captions:
                raise DataError(f"{name}: {sample.where('txt')} holds no caption (expected one caption a line)")
            items.append(Item(sample.key, images[-1].archive, captions, where=sample.where("txt")))
        count_empty_captions(name, items, notes)
        texts = [caption for item in items for caption in item.captions]
        text_to_image = np.repeat(np.arange(len(items)), [len(item.captions) for item in items])
        return RetrievalDataset(images=images, texts=texts, text_to_image=text_to_image,
                                image_ids=[item.image_id for item in items],
                                fingerprint=lambda: fingerprint(images, texts, root=root),
                                warnings=notes.warnings, counts=notes.counts, task=name)

    def _classification(self, root: Path, samples: list[Sample], options: LoadOptions) -> ClassificationDataset:
        name = self.meta.name
        classnames = [line.strip() for line in _read_metadata(root, CLASSNAMES, name).splitlines()]
        templates = [line.strip() for line in _read_metadata(root, TEMPLATES, name).splitlines()]
        prompts = shipped_prompts(f"wds:{TEMPLATES}", templates, classnames)
        images = [sample.image(name) for sample in samples]
        labels = np.asarray([_label(sample, name, len(classnames)) for sample in samples], dtype=np.int64)
        images, labels, keys = apply_limit(images, labels, [s.key for s in samples], options.limit)
        return ClassificationDataset(
            images=images, labels=labels, classnames=classnames, image_ids=keys,
            fingerprint=lambda: fingerprint(images, [*templates, *classnames], labels, root=root),
            counts={"classes_present": int(len(np.unique(labels)))}, prompts=prompts, task=name)

    def status(self, root: Path) -> TaskStatus:
        if not root.is_dir():
            return TaskStatus("missing", root, detail=f"{root} not found (expected layout: {LAYOUT})")
        try:
            data = self.load(root, LoadOptions())
        except DataError as err:
            return TaskStatus("incomplete", root, detail=str(err))
        found = {"images": len(data.images)}
        if isinstance(data, RetrievalDataset):
            found["texts"] = len(data.texts)
        return TaskStatus("found", root, found)

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """n samples in two shards (JPEG, PNG and WEBP images) at the task's folder, of the task's kind; the second
        retrieval sample has two captions."""
        write_shards(self.folder, n, self.meta.kind, seed)


def dataset_kind(folder: Path) -> Kind:
    """The kind dataset_type.txt names (CLIP_benchmark: classification when the file is missing)."""
    path = folder / DATASET_TYPE
    if not is_regular_file(path):
        return "classification"
    value = _utf8(path.read_bytes(), f"wds:{folder}: {DATASET_TYPE}").strip().lower()
    if value == "multilabel":
        raise DataError(f"wds:{folder}: {DATASET_TYPE} says multilabel, which longbench does not evaluate "
                        f"(expected retrieval or classification)")
    if value not in KINDS:
        raise DataError(f"wds:{folder}: {DATASET_TYPE} says {value!r}, expected retrieval or classification")
    return KINDS[value]


def shard_paths(folder: Path, name: str) -> list[Path]:
    """test/0.tar ... in number order: as many as test/nshards.txt says, else every N.tar there is."""
    split = folder / SPLIT
    if not split.is_dir():
        raise DataError(f"{name}: {split} not found (expected layout: {LAYOUT})")
    numbered = {int(p.stem): p for p in split.iterdir()
                if p.suffix == ".tar" and p.stem.isdigit() and p.name == f"{int(p.stem)}.tar"}
    nshards_file = split / NSHARDS
    if is_regular_file(nshards_file):
        text = _utf8(nshards_file.read_bytes(), f"{name}: {SPLIT}/{NSHARDS}").strip()
        if not text.isdigit():
            raise DataError(f"{name}: {SPLIT}/{NSHARDS} holds {text!r}, expected the number of shards")
        count, said = int(text), f"{SPLIT}/{NSHARDS} says {int(text)}"
    else:
        count, said = len(numbered), f"without {SPLIT}/{NSHARDS}, the shards must be numbered from 0"
    if set(numbered) != set(range(count)) or not count:
        found = ", ".join(p.name for _, p in sorted(numbered.items())[:5]) or "none"
        raise DataError(f"{name}: {said} (0.tar ... {max(count - 1, 0)}.tar), found {len(numbered)} numbered "
                        f"shard(s) in {split}: {found}{' ...' if len(numbered) > 5 else ''}")
    return [numbered[i] for i in range(count)]


def read_samples(folder: Path, name: str) -> list[Sample]:
    """Every sample of the test split, in shard and archive order; a key twice is refused."""
    samples: list[Sample] = []
    for path in shard_paths(folder, name):
        found = list(_shard_samples(path, f"{SPLIT}/{path.name}", name))
        if not found:
            raise DataError(f"{name}: {SPLIT}/{path.name} holds no sample (no member named KEY.EXT)")
        samples.extend(found)
    first: dict[str, Sample] = {}
    for sample in samples:
        seen = first.setdefault(sample.key, sample)
        if seen is not sample:  # webdataset makes two samples of it; each image must be listed once (retrieval_dataset)
            raise DataError(f"{name}: key {sample.key!r} is in {seen.shard} and again in {sample.shard} "
                            f"(its members must be consecutive, in one shard)")
    return samples


def _shard_samples(path: Path, label: str, name: str) -> Iterator[Sample]:
    """One shard's samples, grouped as webdataset groups them (module doc), images left in the archive."""
    try:
        archive = tarfile.open(path, mode="r:")  # noqa: SIM115 -- closed below; a generator cannot wrap the open
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"{name}: {label} is {_not_a_tar(path)} ({exc})") from None
    current: Sample | None = None
    with archive:
        try:
            for info in archive:
                parts = _key(info)
                if parts is None:
                    continue
                key, extension = parts
                if current is None or key != current.key:
                    if current is not None:
                        yield current
                    current = Sample(key, label)
                if extension in current.extensions:
                    raise DataError(f"{name}: {label} has {info.name} twice in one sample (key {key!r})")
                current.extensions.add(extension)
                if extension in IMAGE_EXTENSIONS:
                    current.images[extension] = TarMember(path, info.name, info.offset_data, info.size)
                elif extension in LABEL_FILE.values():
                    current.data[extension] = archive.extractfile(info).read()
        except tarfile.TarError as exc:
            raise DataError(f"{name}: {label} is a damaged tar archive ({exc})") from None
    if current is not None:
        yield current


def _key(info: tarfile.TarInfo) -> tuple[str, str] | None:
    """(key, lower-cased extension) of a member, or None for what webdataset passes over."""
    if not info.isreg() or ("/" not in info.name and info.name.startswith("__") and info.name.endswith("__")):
        return None
    match = _KEY.match(info.name)
    if match is None or _META.match(info.name):
        return None
    return match.group(1), match.group(2).lower()


def _not_a_tar(path: Path) -> str:
    """What a shard that tarfile cannot read as an uncompressed archive is, for the message."""
    try:
        with tarfile.open(path, mode="r:*"):
            return "a compressed tar archive; longbench reads shards in place, so decompress it first"
    except (tarfile.TarError, OSError):
        return "not a tar archive"


def _label(sample: Sample, name: str, n_classes: int) -> int:
    text = sample.label_file(name, "cls")
    try:
        label = int(text)
    except ValueError:
        raise DataError(f"{name}: {sample.where('cls')} holds {text[:40].decode('utf-8', 'replace')!r}, expected a "
                        f"class index") from None
    if not 0 <= label < n_classes:
        raise DataError(f"{name}: {sample.where('cls')} is class {label}, but {CLASSNAMES} names {n_classes} "
                        f"classes (0 ... {n_classes - 1})")
    return label


def _read_metadata(folder: Path, filename: str, name: str) -> str:
    path = folder / filename
    if not is_regular_file(path):
        raise DataError(f"{name}: {path} not found (a classification dataset needs {CLASSNAMES} and {TEMPLATES})")
    return _utf8(path.read_bytes(), f"{name}: {filename}")


def _utf8(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{where} is not UTF-8 text ({err.reason})") from None


# --- the Hub --------------------------------------------------------------------------------------------------

_HUB_URL = re.compile(r"^https://huggingface\.co/datasets/([^/]+/[^/]+?)(?:/tree/([^/]+))?/?$")
_HF = re.compile(r"^hf://(?:datasets/)?([^/@]+/[^/@]+)(?:@(.+))?$")


def hub_repo(spec: str) -> tuple[str, str | None] | None:
    """(repo id, revision) of `https://huggingface.co/datasets/ORG/NAME[/tree/REV]` or `hf://ORG/NAME[@REV]`."""
    match = _HUB_URL.match(spec) or _HF.match(spec)
    return (match.group(1), match.group(2)) if match else None


def hub_download(spec: str, repo: str, revision: str | None) -> Path:
    """The dataset's metadata files and test shards, from the Hub cache under the cache home (downloaded when
    online); offline or failing, one line saying what is missing and how to get it."""
    folder = cache_folder(WEBDATASETS)
    fetch = (f"download its {SPLIT}/ folder and {DATASET_TYPE}, {CLASSNAMES}, {TEMPLATES} (`huggingface-cli download "
             f"--repo-type dataset {repo} --include '{SPLIT}/*' '*.txt' --local-dir DIR`) and pass wds:DIR")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise DataError(f"wds:{spec}: reading a Hub dataset needs huggingface_hub (pip install huggingface_hub); "
                        f"or {fetch}") from None
    try:
        return Path(snapshot_download(repo, repo_type="dataset", revision=revision, allow_patterns=list(HUB_FILES),
                                      cache_dir=folder, local_files_only=offline()))
    except Exception as exc:  # the Hub client raises many types (HTTP, offline, auth, missing revision)
        if offline():
            raise DataError(f"wds:{spec}: {repo} is not in the cache {folder} and downloads are off "
                            f"({' or '.join(VARIABLES)} is set): run once online, or {fetch}") from None
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"wds:{spec}: could not download {repo} from the Hugging Face Hub ({reason}); "
                        f"{fetch}") from None


# --- samples --------------------------------------------------------------------------------------------------

#: Sample image formats, in turn: one of each extension CLIP_benchmark reads (webp may be missing from PIL).
_FORMATS = (("jpg", "JPEG"), ("png", "PNG"), ("webp", "WEBP"))


def write_shards(folder: Path, n: int, kind: Kind, seed: int = 0, classes: int = 3) -> None:
    """A small dataset of `kind` in CLIP_benchmark's layout: n samples over two shards, with nshards.txt."""
    rng = sample_rng(seed, f"wds-{folder.name}")
    (folder / SPLIT).mkdir(parents=True, exist_ok=True)
    (folder / DATASET_TYPE).write_text(kind + "\n", encoding="utf-8")
    if kind == "classification":
        (folder / CLASSNAMES).write_text("".join(f"class {c}\n" for c in range(classes)), encoding="utf-8")
        (folder / TEMPLATES).write_text("a photo of a {c}.\nitap of the {c}.\n", encoding="utf-8")
    shards = [list(range(n))[: (n + 1) // 2], list(range(n))[(n + 1) // 2:]]
    shards = [s for s in shards if s]
    (folder / SPLIT / NSHARDS).write_text(f"{len(shards)}\n", encoding="utf-8")
    for number, indices in enumerate(shards):
        with tarfile.open(folder / SPLIT / f"{number}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
            for i in indices:
                extension, fmt = _FORMATS[i % len(_FORMATS)]
                image = io.BytesIO()
                pixels = synthetic_rgb(i + 1, (40 + 7 * (i % 5), 36 + 5 * (i % 3)), seed)
                Image.fromarray(pixels, "RGB").save(image, fmt)
                label = (long_caption(rng) + ("\n" + long_caption(rng, 10, 30) if i == 1 else "")
                         if kind == "retrieval" else str(i % classes))
                _add(tar, f"s{i:05d}.{extension}", image.getvalue())
                _add(tar, f"s{i:05d}.{LABEL_FILE[kind]}", label.encode("utf-8"))


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


register_source("wds")(WebDatasetTask)
