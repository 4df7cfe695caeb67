"""The leaderboard's columns as data: which task fills which column, and which tasks are marked as another protocol.

A column is a dataset x metric. A dataset lists the tasks that may fill it, its own protocol first; a cell filled
by a later task was measured under a different protocol and carries that task's footnote mark, so different
protocols are never silently mixed. Add a dataset or an alternative protocol here, not in the rendering code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..metrics.registry import DEFAULT_KS, DIRECTIONS, metric, metrics_of, recall_name


@dataclass(frozen=True)
class Protocol:
    task: str  # the longbench task name, which fixes the protocol
    mark: str = ""  # footnote mark when this is not the column's own protocol
    note: str = ""  # what differs from the column's protocol


@dataclass(frozen=True)
class Dataset:
    group: str
    label: str
    kind: str  # "retrieval" | "classification": which metrics it has
    protocols: tuple[Protocol, ...]  # the first is the column's own protocol

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(p.task for p in self.protocols)


@dataclass(frozen=True)
class Column:
    dataset: Dataset
    metric: str

    @property
    def header(self) -> str:
        entry = metric(self.metric)
        suffix = entry.label if entry.short_label is None else entry.short_label
        return f"{self.dataset.label} {suffix}" if suffix else self.dataset.label


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "Long retrieval",
        "Urban1k",
        "retrieval",
        (Protocol("urban1k"), Protocol("urban-200", "a", "Urban-200 (the original 200 pairs), not Urban1k")),
    ),
    Dataset("Long retrieval", "ShareGPT4V-1k", "retrieval", (Protocol("sharegpt4v-1k"),)),
    # The long-caption sets of Long-CLIP's successors: each "DCI" protocol is its own column, never an alternative.
    Dataset("Long retrieval", "DOCCI", "retrieval", (Protocol("docci"),)),
    Dataset("Long retrieval", "DCI", "retrieval", (Protocol("dci"),)),
    Dataset("Long retrieval", "Long-DCI", "retrieval", (Protocol("dci-long"),)),
    Dataset("Long retrieval", "IIW", "retrieval", (Protocol("iiw"),)),
    Dataset(
        "Short retrieval",
        "COCO",
        "retrieval",
        (Protocol("coco"), Protocol("coco-karpathy", "b", "COCO Karpathy 5k test split, not val2017 5k")),
    ),
    Dataset(
        "Short retrieval",
        "Flickr30k",
        "retrieval",
        (
            Protocol("flickr30k"),
            Protocol("flickr30k-full", "c", "all ~31.8k Flickr30k images (Long-CLIP repo), not the Karpathy 1k test"),
        ),
    ),
    Dataset("Zero-shot", "ImageNet", "classification", (Protocol("imagenet"),)),
    Dataset("Zero-shot", "CIFAR-10", "classification", (Protocol("cifar10"),)),
    Dataset("Zero-shot", "CIFAR-100", "classification", (Protocol("cifar100"),)),
    Dataset("Zero-shot", "ObjectNet", "classification", (Protocol("objectnet"),)),
)

# The metrics of each table, per dataset kind; a kind absent from a table contributes no columns to it.
MAIN_METRICS = {kind: tuple(m.name for m in metrics_of(kind) if m.headline)
                for kind in dict.fromkeys(d.kind for d in DATASETS)}
RECALL_AT_K_METRICS = {"retrieval": tuple(recall_name(d, k) for d in DIRECTIONS for k in DEFAULT_KS if k > 1)}

# A result measured on a subset (`--limit`) is not the column's protocol either.
LIMIT_MARK = "L"
# Nor is one measured under an older version of its task than the newest version on the page.
VERSION_MARK = "V"

# Effective-length columns: one per probe unit, read from the probe on this task when there is one.
PROBE_TASK = "urban1k"
PROBE_COLUMNS = (("tokens", "Eff. length (tokens)"), ("words", "Eff. length (words)"))


def columns(metrics: dict[str, tuple[str, ...]]) -> list[Column]:
    return [Column(d, m) for d in DATASETS for m in metrics.get(d.kind, ())]


def protocol_marks() -> list[Protocol]:
    """Every marked (non-column) protocol, in mark order, for the footnotes."""
    return sorted((p for d in DATASETS for p in d.protocols[1:]), key=lambda p: p.mark)
