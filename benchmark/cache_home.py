"""The cache home: the one folder where longbench keeps what it reuses between runs.

`$LONGBENCH_CACHE`, else `$XDG_CACHE_HOME/longbench`, else `~/.cache/longbench`; a run's `--cache-dir` replaces it.
Under it, one folder per kind of entry (FOLDERS):
- `weights/`: registry models' weight files (`$LONGBENCH_WEIGHTS` names another folder for these alone);
- `embeddings/`: encoded batches (embedding_cache.py);
- `classifiers/`: zero-shot class weights (evaluators/zeroshot.py);
- `hashes/`: sha256 digests of checkpoint files, by the file's identity (file_hashes.py);
- `manifests/`: what a loaded model looks like without its weights, by its request (deferred_model.py);
- `tokens/`: CLIP BPE token ids of caption lists (bpe.py);
- `ranks/`: retrieval ranks of embeddings ranked before (metrics/rank_memo.py);
- `webdatasets/`: WebDataset shards downloaded from the Hugging Face Hub for `wds:` tasks (tasks/webdataset.py).
Every module asks here, so setting one variable moves all of them together.
"""

from __future__ import annotations

import os
from pathlib import Path

WEIGHTS = "weights"
EMBEDDINGS = "embeddings"
CLASSIFIERS = "classifiers"
WEBDATASETS = "webdatasets"
HASHES = "hashes"
MANIFESTS = "manifests"
TOKENS = "tokens"
RANKS = "ranks"
FOLDERS = (WEIGHTS, EMBEDDINGS, CLASSIFIERS, HASHES, MANIFESTS, TOKENS, RANKS, WEBDATASETS)


def cache_home(override: Path | str | None = None) -> Path:
    """`override` (a run's --cache-dir), else $LONGBENCH_CACHE, else $XDG_CACHE_HOME/longbench, else
    ~/.cache/longbench."""
    if override is not None:
        return Path(override)
    if os.environ.get("LONGBENCH_CACHE"):
        return Path(os.environ["LONGBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "longbench"


def cache_folder(kind: str, override: Path | str | None = None) -> Path:
    """The folder of one kind of entry (a name in FOLDERS) under the cache home."""
    if kind not in FOLDERS:
        raise ValueError(f"unknown cache folder {kind!r} (expected one of {', '.join(FOLDERS)})")
    if kind == WEIGHTS and override is None and os.environ.get("LONGBENCH_WEIGHTS"):
        return Path(os.environ["LONGBENCH_WEIGHTS"])
    return cache_home(override) / kind


def cache_home_source(override: Path | str | None = None) -> str:
    """Where the cache home came from, for messages: the option or variable that set it, or the default."""
    if override is not None:
        return "--cache-dir"
    for variable in ("LONGBENCH_CACHE", "XDG_CACHE_HOME"):
        if os.environ.get(variable):
            return f"${variable}"
    return "default ~/.cache/longbench; set $LONGBENCH_CACHE to move it"
