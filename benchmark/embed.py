"""`embed`: the smallest end-to-end use of an adapter — embeddings of a few captions and image files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .adapters import ImageTextModel
from .artifacts.atomic import atomic_open
from .data.paths import require_regular_file
from .encode import Encoder, TextEmbeddings
from .errors import DataError
from .settings import RunSettings


def embed(adapter: ImageTextModel, texts: Sequence[str] = (), images: Sequence[Path] = (),
          device: str | None = "auto") -> tuple[np.ndarray, TextEmbeddings | None]:
    """One float32 row per input: texts first, then images, in the order given."""
    if not texts and not images:
        raise DataError("nothing to embed: give at least one --text or --image")
    for path in images:
        require_regular_file(path, "--image")
        if not Path(path).is_file():
            raise DataError(f"image file not found: {path}")
    # `longbench embed` has no --skip-bad-images to suggest.
    encoder = Encoder(adapter, RunSettings.resolve(device), progress=False, skip_hint="")
    text_emb = encoder.texts(list(texts)) if texts else None
    rows = [text_emb.vectors] if text_emb else []
    if images:
        rows.append(encoder.images([Path(p) for p in images], [str(p) for p in images]).vectors)
    return np.concatenate(rows).astype(np.float32), text_emb


def save_vectors(vectors: np.ndarray, out: Path) -> Path:
    """Write a .npy atomically (temp file + rename), so a failed run leaves no half-written file."""
    out = Path(out)
    if out.suffix != ".npy":
        raise DataError(f"--out must end in .npy, got {out}")
    with atomic_open(out, "wb") as fh:
        np.save(fh, vectors)
    return out
