"""Reading (and, for samples, writing) the Python-2 pickles that CIFAR ships, without trusting them.

A pickle can name any importable callable and have the loader call it (`os.system`, `builtins.eval`, ...), so a
pickle downloaded from the internet is code, not data, unless the unpickler refuses every global it does not need.
CIFAR needs only numpy's array reconstruction; Python-3-written protocol-2 pickles also encode bytes through
`_codecs.encode(text, "latin1")`, which is allowed for that one encoding only.
"""

from __future__ import annotations

import codecs
import io
import pickle
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from longbench.errors import DataError

try:  # numpy >= 2 keeps the implementation in numpy._core; numpy 1.x in numpy.core.
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct


def _latin1_encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """`_codecs.encode` as Python 3 uses it for bytes in protocol-2 pickles, limited to latin-1."""
    if codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1", errors)


#: (module, name) -> the object the restricted unpickler returns for it; everything else is refused.
ALLOWED_GLOBALS: dict[tuple[str, str], Callable[..., Any]] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, fh: io.BufferedIOBase, source: Path, encoding: str) -> None:
        super().__init__(fh, encoding=encoding)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise DataError(
                f"{self.source}: refused to unpickle global {module}.{name} "
                f"(a dataset pickle may only contain numpy arrays, lists, dicts, numbers and strings)"
            ) from None


def load_data_pickle(path: Path, encoding: str = "latin1") -> Any:
    """Unpickle a data file, allowing only numpy array reconstruction. DataError on anything else or a bad file.

    encoding="latin1" turns Python-2 `str` into `str` (the documented way to read numpy pickles written by
    Python 2); encoding="bytes" keeps them as bytes.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return _RestrictedUnpickler(fh, path, encoding).load()
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            struct.error, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable Python pickle ({type(exc).__name__}: {exc})") from None


class Py2PickleWriter:
    """Writes dicts of bytes keys, int/bytes lists and uint8 arrays as Python 2's cPickle (protocol 2) did.

    Python 3's pickler cannot emit Python-2 `str` (BINSTRING) nor numpy 1.x's `numpy.core.multiarray`
    global, so the opcodes are written by hand: samples then exercise the same decoding path as the real files.
    """

    def __init__(self) -> None:
        self.out = io.BytesIO()

    def dumps(self, obj: Any) -> bytes:
        self.out.write(pickle.PROTO + b"\x02")
        self._save(obj)
        self.out.write(pickle.STOP)
        return self.out.getvalue()

    def _save(self, obj: Any) -> None:
        if isinstance(obj, dict):
            self.out.write(pickle.EMPTY_DICT + pickle.MARK)
            for key, value in obj.items():
                self._save(key)
                self._save(value)
            self.out.write(pickle.SETITEMS)
        elif isinstance(obj, list):
            self.out.write(pickle.EMPTY_LIST + pickle.MARK)
            for item in obj:
                self._save(item)
            self.out.write(pickle.APPENDS)
        elif isinstance(obj, bool) or obj is None:
            self.out.write({True: pickle.NEWTRUE, False: pickle.NEWFALSE, None: pickle.NONE}[obj])
        elif isinstance(obj, (int, np.integer)):
            self.out.write(pickle.BININT + struct.pack("<i", int(obj)))
        elif isinstance(obj, bytes):
            self._binstring(obj)
        elif isinstance(obj, np.ndarray):
            self._array(obj)
        else:
            raise TypeError(f"cannot write {type(obj).__name__} as a Python-2 pickle")

    def _binstring(self, data: bytes) -> None:
        if len(data) < 256:
            self.out.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.out.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)

    def _ints(self, values: tuple[int, ...]) -> None:
        self.out.write(pickle.MARK)
        for v in values:
            self._save(int(v))
        self.out.write(pickle.TUPLE)

    def _array(self, arr: np.ndarray) -> None:
        if arr.dtype != np.uint8:
            raise TypeError("only uint8 arrays are written")
        w = self.out.write
        # _reconstruct(ndarray, (0,), 'b')
        w(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
        w(pickle.GLOBAL + b"numpy\nndarray\n")
        self._ints((0,))
        self._binstring(b"b")
        w(pickle.TUPLE3 + pickle.REDUCE)
        # state: (1, shape, dtype('u1'), is_fortran, raw bytes)
        w(pickle.MARK)
        self._save(1)
        self._ints(arr.shape)
        w(pickle.GLOBAL + b"numpy\ndtype\n")
        self._binstring(b"u1")
        w(pickle.NEWFALSE + pickle.NEWTRUE + pickle.TUPLE3 + pickle.REDUCE)
        w(pickle.MARK)
        for item in (3, b"|", None, None, None, -1, -1, 0):
            self._save(item)
        w(pickle.TUPLE + pickle.BUILD)
        w(pickle.NEWFALSE)
        self._binstring(np.ascontiguousarray(arr).tobytes())
        w(pickle.TUPLE + pickle.BUILD)


def write_py2_pickle(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(Py2PickleWriter().dumps(obj))
