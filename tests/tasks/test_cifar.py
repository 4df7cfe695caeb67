"""CIFAR-10/100: Python-2 pickles read through the restricted unpickler, labels and pixels as written."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from longbench.data.synthetic import synthetic_rgb
from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import get_task, resolve_tasks
from longbench.tasks.cifar_pickles import load_data_pickle, write_py2_pickle

from .helpers import Evil


def _sample(tmp_path: Path, name: str, n: int = 12, seed: int = 3) -> Path:
    root = tmp_path / name
    get_task(name).write_sample(root, n, seed=seed)
    return root


def test_zeroshot_group_has_the_four_classification_tasks():
    assert {t.meta.name for t in resolve_tasks("zeroshot")} == {"imagenet", "cifar10", "cifar100", "objectnet"}
    assert all(t.meta.kind == "classification" for t in resolve_tasks("zeroshot"))


@pytest.mark.parametrize("name,n_classes", [("cifar10", 10), ("cifar100", 100)])
def test_load_returns_the_written_labels_and_hwc_pixels(tmp_path, name, n_classes):
    root = _sample(tmp_path, name, n=12, seed=3)
    ds = get_task(name).load(root, LoadOptions())
    expected_labels = np.random.default_rng(3).integers(0, n_classes, size=12)
    np.testing.assert_array_equal(ds.labels, expected_labels)
    assert ds.images.shape == (12, 32, 32, 3) and ds.images.dtype == np.uint8
    # CHW rows in the file -> HWC images: the pixels are exactly the ones the writer started from.
    for i in (0, 7):
        np.testing.assert_array_equal(ds.images[i], synthetic_rgb(i, (32, 32), 3))
    assert len(ds.classnames) == n_classes
    assert ds.image_ids[0] == "sample_00000.png"
    assert ds.default_prompts == "imagenet80"


def test_cifar100_raw_names_keep_underscores(tmp_path):
    ds = get_task("cifar100").load(_sample(tmp_path, "cifar100"), LoadOptions())
    assert ds.classnames[1] == "aquarium_fish"


@pytest.mark.parametrize("encoding", ["latin1", "bytes"])
def test_sample_pickles_are_python2_format_readable_by_stock_pickle(tmp_path, encoding):
    root = _sample(tmp_path, "cifar10", n=4)
    raw = (root / "cifar-10-batches-py" / "test_batch").read_bytes()
    assert raw[:2] == b"\x80\x02"  # protocol 2
    assert b"numpy.core.multiarray\n_reconstruct" in raw  # the global numpy 1.x / Python 2 wrote
    with open(root / "cifar-10-batches-py" / "test_batch", "rb") as fh:
        data = pickle.load(fh, encoding=encoding)
    key = b"data" if encoding == "bytes" else "data"
    assert data[key].shape == (4, 3072)
    ours = load_data_pickle(root / "cifar-10-batches-py" / "test_batch", encoding=encoding)
    np.testing.assert_array_equal(ours[key], data[key])


def test_malicious_meta_file_is_refused_by_the_task(tmp_path):
    root = _sample(tmp_path, "cifar10", n=2)
    marker = tmp_path / "pwned"
    (root / "cifar-10-batches-py" / "batches.meta").write_bytes(pickle.dumps(Evil(marker), protocol=2))
    with pytest.raises(DataError, match="batches.meta: refused to unpickle global"):
        get_task("cifar10").load(root, LoadOptions())
    assert not marker.exists()


def test_truncated_pickle_is_a_data_error(tmp_path):
    root = _sample(tmp_path, "cifar10", n=2)
    batch = root / "cifar-10-batches-py" / "test_batch"
    batch.write_bytes(batch.read_bytes()[:100])
    with pytest.raises(DataError, match="test_batch: not a readable Python pickle"):
        get_task("cifar10").load(root, LoadOptions())


@pytest.mark.parametrize("name,missing", [("cifar10", "cifar-10-batches-py/test_batch"),
                                          ("cifar100", "cifar-100-python/meta")])
def test_missing_file_names_the_expected_layout(tmp_path, name, missing):
    root = _sample(tmp_path, name, n=2)
    (root / missing).unlink()
    with pytest.raises(DataError, match="expected layout:") as err:
        get_task(name).load(root, LoadOptions())
    assert missing in str(err.value)
    assert get_task(name).status(root).state == "incomplete"
    assert get_task(name).status(tmp_path / "nothing").state == "missing"


def test_wrong_data_shape_is_a_data_error(tmp_path):
    root = _sample(tmp_path, "cifar10", n=2)
    write_py2_pickle(root / "cifar-10-batches-py" / "test_batch",
                     {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]})
    with pytest.raises(DataError, match=r"uint8 array \[N, 3072\]"):
        get_task("cifar10").load(root, LoadOptions())


def test_out_of_range_label_is_a_data_error(tmp_path):
    root = _sample(tmp_path, "cifar10", n=2)
    write_py2_pickle(root / "cifar-10-batches-py" / "test_batch",
                     {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]})
    with pytest.raises(DataError, match=r"labels must lie in 0..9"):
        get_task("cifar10").load(root, LoadOptions())


def test_limit_is_stratified(tmp_path):
    root = _sample(tmp_path, "cifar10", n=60)
    ds = get_task("cifar10").load(root, LoadOptions(limit=20))
    assert len(ds.labels) == 20 and ds.images.shape[0] == 20
    full = get_task("cifar10").load(root, LoadOptions())
    assert set(ds.labels) == set(full.labels)  # 20 >= 10 classes: every class is represented
    again = get_task("cifar10").load(root, LoadOptions(limit=20))
    assert ds.image_ids == again.image_ids
    assert ds.fingerprint != full.fingerprint
