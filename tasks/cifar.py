"""CIFAR-10 and CIFAR-100 test sets, read from the original Python-2 pickles (never with torchvision's loader,
whose checksum rejects anything but the original archive) through an unpickler that only rebuilds numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from longbench.data.fingerprint import fingerprint
from longbench.data.paths import is_data_file
from longbench.data.synthetic import synthetic_rgb
from longbench.datasets import ClassificationDataset, LoadOptions
from longbench.errors import DataError

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .cifar_pickles import load_data_pickle, write_py2_pickle
from .stratified_limit import apply_limit


@dataclass(frozen=True)
class CifarFormat:
    folder: str
    batch: str
    meta: str
    labels_key: str
    names_key: str
    #: The class names as the meta file stores them (what the sample writer writes).
    classnames: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.classnames)


def _decode_keys(data: Any, path: Path) -> dict[str, Any]:
    """Pickle dicts have bytes keys when read with encoding='bytes' and str keys with 'latin1': accept both."""
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a pickled dict, found {type(data).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else str(k): v for k, v in data.items()}


def _text(value: Any) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


def _integer_labels(labels: Any, n: int, path: Path, key: str) -> np.ndarray:
    """One integer label per image. Floats are accepted only when whole (3.0), never truncated (3.7 is an error)."""
    if not isinstance(labels, list | tuple | np.ndarray) or np.ndim(labels) != 1 or len(labels) != n:
        found = f"{len(labels)} values" if isinstance(labels, list | tuple | np.ndarray) else type(labels).__name__
        raise DataError(f"{path}: expected '{key}' to be a list of {n} integer labels (one per image), found {found}")
    values = np.asarray(labels)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        whole = np.isfinite(values) & (values == np.round(values))
    else:  # strings, booleans, None, mixed objects
        whole = np.array([isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) for v in labels])
    bad = int(np.argmin(whole)) if not whole.all() else None
    if bad is not None:
        raise DataError(f"{path}: '{key}'[{bad}] is {labels[bad]!r}, expected an integer class index")
    return values.astype(np.int64)


class Cifar(Task):
    fmt: CifarFormat

    def files(self, root: Path) -> tuple[Path, Path]:
        base = Path(root) / self.fmt.folder
        return base / self.fmt.batch, base / self.fmt.meta

    def load(self, root: Path, options: LoadOptions) -> ClassificationDataset:
        batch_path, meta_path = self.files(root)
        for path in (batch_path, meta_path):
            if not is_data_file(path, root):
                raise self.missing(root, f"{self.fmt.folder}/{path.name}")
        classnames = self._classnames(meta_path)
        images, labels, image_ids = self._batch(batch_path, len(classnames))
        images, labels, image_ids = apply_limit(images, labels, image_ids, options.limit)
        return ClassificationDataset(
            images=images,
            labels=labels,
            classnames=classnames,
            class_ids=list(classnames),
            image_ids=image_ids,
            fingerprint=fingerprint(images, labels=labels),
            task=self.meta.name,
        )

    def _classnames(self, path: Path) -> list[str]:
        meta = _decode_keys(load_data_pickle(path), path)
        names = meta.get(self.fmt.names_key)
        if not isinstance(names, list) or len(names) != self.fmt.n_classes:
            raise DataError(f"{path}: expected '{self.fmt.names_key}' with {self.fmt.n_classes} class names")
        return [_text(n) for n in names]

    def _batch(self, path: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        batch = _decode_keys(load_data_pickle(path), path)
        data, labels = batch.get("data"), batch.get(self.fmt.labels_key)
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise DataError(f"{path}: expected 'data' as a uint8 array [N, 3072] (32x32 RGB, channels first)")
        labels = _integer_labels(labels, len(data), path, self.fmt.labels_key)
        if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
            raise DataError(f"{path}: labels must lie in 0..{n_classes - 1}")
        images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        names = batch.get("filenames")
        ids = [_text(n) for n in names] if isinstance(names, list) and len(names) == len(data) else \
            [f"{self.fmt.batch}/{i}" for i in range(len(data))]
        return images, labels, ids

    def status(self, root: Path) -> TaskStatus:
        present = [is_data_file(p, root) for p in self.files(root)]
        state = "found" if all(present) else "incomplete" if any(present) else "missing"
        return TaskStatus(state, Path(root), found={"files": sum(present)}, expected={"files": 2},
                          detail=f"{self.fmt.folder}/{self.fmt.batch} and {self.fmt.folder}/{self.fmt.meta}")

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """Pickles as Python 2 wrote them: protocol 2, bytes (py2 str) keys, data uint8 [n, 3072] channels first."""
        batch_path, meta_path = self.files(root)
        images = np.stack([synthetic_rgb(i, (32, 32), seed) for i in range(n)]) if n else \
            np.zeros((0, 32, 32, 3), np.uint8)
        labels = [int(x) for x in np.random.default_rng(seed).integers(0, self.fmt.n_classes, size=n)]
        write_py2_pickle(batch_path, {
            b"batch_label": b"testing batch 1 of 1",
            self.fmt.labels_key.encode(): labels,
            b"data": images.transpose(0, 3, 1, 2).reshape(n, 3072),
            b"filenames": [f"sample_{i:05d}.png".encode() for i in range(n)],
        })
        write_py2_pickle(meta_path, {self.fmt.names_key.encode(): [c.encode() for c in self.fmt.classnames]})


CIFAR10_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: The fine class names as cifar-100-python/meta stores them (used by the sample writer).
CIFAR100_NAMES = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle", "bowl",
    "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle", "chair",
    "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur", "dolphin",
    "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard", "lamp",
    "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
    "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck",
    "pine_tree", "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
    "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television",
    "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf",
    "woman", "worm",
)
CIFAR_SOURCE = "https://www.cs.toronto.edu/~kriz/cifar.html"


@register_task
class Cifar10(Cifar):
    fmt = CifarFormat("cifar-10-batches-py", "test_batch", "batches.meta", "labels", "label_names", CIFAR10_NAMES)
    meta = TaskMeta(
        name="cifar10",
        kind="classification",
        family="cifar",
        description="CIFAR-10 test set, zero-shot over 10 classes",
        protocol="10,000 test images (32x32), 10 classes; default prompts: 80 ImageNet templates with raw names "
                 "(Long-CLIP)",
        subdir="cifar10",
        layout="cifar-10-batches-py/{test_batch,batches.meta} (the python version of the archive, unpacked)",
        source=f"{CIFAR_SOURCE} (cifar-10-python.tar.gz)",
        licence="no explicit licence; cite Krizhevsky 2009",
        split="test_batch",
        expected={"images": 10000, "classes": 10},
        pitfalls=("The pickles are Python 2 files: read with encoding='latin1' (bytes keys otherwise).",),
        groups=("zeroshot",),
    )


@register_task
class Cifar100(Cifar):
    fmt = CifarFormat("cifar-100-python", "test", "meta", "fine_labels", "fine_label_names", CIFAR100_NAMES)
    meta = TaskMeta(
        name="cifar100",
        kind="classification",
        family="cifar",
        description="CIFAR-100 test set, zero-shot over the 100 fine classes",
        protocol="10,000 test images (32x32), 100 fine classes; default prompts: 80 ImageNet templates with raw "
                 "names, underscores kept (Long-CLIP)",
        subdir="cifar100",
        layout="cifar-100-python/{test,meta} (the python version of the archive, unpacked)",
        source=f"{CIFAR_SOURCE} (cifar-100-python.tar.gz)",
        licence="no explicit licence; cite Krizhevsky 2009",
        split="test (fine labels)",
        expected={"images": 10000, "classes": 100},
        pitfalls=("Raw class names contain underscores (aquarium_fish); the `clip` prompt set replaces them.",),
        groups=("zeroshot",),
    )
