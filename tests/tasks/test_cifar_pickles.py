"""The restricted unpickler: numpy arrays and Python-3 protocol-2 bytes load, any other global is refused unrun."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from longbench.errors import DataError
from longbench.tasks.cifar_pickles import load_data_pickle

from .helpers import Evil


def test_python3_written_protocol2_pickles_load_too(tmp_path):
    path = tmp_path / "py3.pkl"
    arr = np.arange(3072 * 2, dtype=np.uint8).reshape(2, 3072) % 251
    path.write_bytes(pickle.dumps({b"data": arr, b"labels": [0, 1]}, protocol=2))  # uses _codecs.encode
    np.testing.assert_array_equal(load_data_pickle(path)[b"data"], arr)


def test_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps({"data": Evil(marker)}, protocol=2))
    with pytest.raises(DataError, match=r"test_batch: refused to unpickle global (posix|os|nt)\.system"):
        load_data_pickle(path)
    assert not marker.exists()


def test_codecs_encode_is_allowed_only_for_latin1(tmp_path):
    path = tmp_path / "x.pkl"
    # _codecs.encode("...", "rot13") — allowed global, forbidden use.
    path.write_bytes(b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R.")
    with pytest.raises(DataError, match="not a readable Python pickle"):
        load_data_pickle(path)
