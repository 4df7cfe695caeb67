"""How much of a task's text a 77- or 248-token model sees: the share of captions over each limit.

Measured from the task's files when they are at hand (CLIP BPE tokens, SOT and EOT counted), else the figure
published for the released files (`TaskMeta.truncation_profile`; where each was counted: docs/tasks.md), labelled
as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .bpe import count_tokens
from .datasets import LoadOptions, RetrievalDataset
from .errors import DataError
from .tasks import Task

LIMITS = (77, 248)


@dataclass(frozen=True)
class TruncationProfile:
    #: Share of captions longer than 77 and than 248 tokens, or None when unknown.
    over: tuple[float, float] | None
    source: Literal["measured", "published", "unknown"]
    #: Captions counted (measured profiles only).
    n_texts: int = 0

    def describe(self) -> str:
        if self.over is None:
            return "unknown"
        shares = " / ".join(f"{100 * share:.1f}%" for share in self.over)
        label = f"measured on {self.n_texts:,} captions" if self.source == "measured" else self.source
        return f"{shares} ({label})"


def truncation_profile(task: Task, root: Path | None = None) -> TruncationProfile:
    """The measured profile when `root` holds the task's captions, else the published one (or unknown)."""
    if task.meta.kind == "retrieval" and root is not None and root.exists():
        try:
            data = task.load(root, LoadOptions(skip_bad_images=True))
        except DataError:
            data = None
        if isinstance(data, RetrievalDataset) and data.texts:
            lengths = count_tokens(data.texts)
            over = tuple(sum(n > limit for n in lengths) / len(lengths) for limit in LIMITS)
            return TruncationProfile((over[0], over[1]), "measured", len(lengths))
    if task.meta.truncation_profile is not None:
        return TruncationProfile(task.meta.truncation_profile, "published")
    return TruncationProfile(None, "unknown")
