"""What several test modules of tests/tasks use: the retrieval task names, loading a task, writing JSON lines, and
a pickle that would run a command if unpickled."""

from __future__ import annotations

import json
import os
from pathlib import Path

from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.tasks import get_task

RETRIEVAL = ["urban1k", "urban-200", "urban1k-lotlip", "sharegpt4v-1k", "sharegpt4v-10k", "sharegpt4v-1k-lotlip",
             "sharegpt4v-10k-lotlip", "coco", "coco-karpathy", "flickr30k",
             "flickr30k-full", "docci", "docci-fg", "dci", "dci-long", "dci-fgclip", "dci-fgclip2", "iiw", "iiw-fg"]


def load(name: str, root: Path, **options) -> RetrievalDataset:
    return get_task(name).load(root, LoadOptions(**options))


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


class Evil:
    """Unpickling this runs `touch marker` (os.system): a safe reader must refuse it before anything runs."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)
