"""The leaderboard's columns as data: its groups, which task fills which column, and which tasks are marked as
another protocol.

A column is a dataset x metric. A dataset lists the tasks that may fill it, its own protocol first; a cell filled
by a later task was measured under a different protocol and carries that task's footnote mark, so different
protocols are never silently mixed. Datasets come in groups (one table each on the web leaderboard, in this
order): a new group is a `Group` in GROUPS and its datasets in DATASETS, a new dataset or alternative protocol an
entry in DATASETS; never a change to the rendering code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..metrics.registry import DEFAULT_KS, DIRECTIONS, metric, metrics_of, recall_name


@dataclass(frozen=True)
class Group:
    name: str  # its heading, e.g. "Long retrieval"
    slug: str  # its anchor on the web leaderboard
    description: str  # what its columns measure, in one sentence


LONG_RETRIEVAL = Group("Long retrieval", "long-retrieval",
                       "Image-text retrieval with long, detailed captions: what CLIP's 77 tokens cut off.")
SHORT_RETRIEVAL = Group("Short retrieval", "short-retrieval",
                        "Image-text retrieval with short captions: what a long-text model must not lose.")
ZERO_SHOT = Group("Zero-shot", "zero-shot", "Zero-shot image classification from class-name prompts.")
#: The groups in page order.
GROUPS: tuple[Group, ...] = (LONG_RETRIEVAL, SHORT_RETRIEVAL, ZERO_SHOT)


@dataclass(frozen=True)
class Protocol:
    task: str  # the longbench task name, which fixes the protocol
    mark: str = ""  # footnote mark when this is not the column's own protocol
    note: str = ""  # what differs from the column's protocol


@dataclass(frozen=True)
class Dataset:
    group: Group
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
        LONG_RETRIEVAL,
        "Urban1k",
        "retrieval",
        (Protocol("urban1k"), Protocol("urban-200", "a", "Urban-200 (the original 200 pairs), not Urban1k")),
    ),
    Dataset(LONG_RETRIEVAL, "ShareGPT4V-1k", "retrieval", (Protocol("sharegpt4v-1k"),)),
    # The long-caption sets of Long-CLIP's successors: each "DCI" protocol is its own column, never an alternative.
    Dataset(LONG_RETRIEVAL, "DOCCI", "retrieval", (Protocol("docci"),)),
    Dataset(LONG_RETRIEVAL, "DCI", "retrieval", (Protocol("dci"),)),
    Dataset(LONG_RETRIEVAL, "Long-DCI", "retrieval", (Protocol("dci-long"),)),
    Dataset(LONG_RETRIEVAL, "IIW", "retrieval", (Protocol("iiw"),)),
    Dataset(
        SHORT_RETRIEVAL,
        "COCO",
        "retrieval",
        (Protocol("coco"), Protocol("coco-karpathy", "b", "COCO Karpathy 5k test split, not val2017 5k")),
    ),
    Dataset(
        SHORT_RETRIEVAL,
        "Flickr30k",
        "retrieval",
        (
            Protocol("flickr30k"),
            Protocol("flickr30k-full", "c", "all ~31.8k Flickr30k images (Long-CLIP repo), not the Karpathy 1k test"),
        ),
    ),
    Dataset(ZERO_SHOT, "ImageNet", "classification", (Protocol("imagenet"),)),
    Dataset(ZERO_SHOT, "CIFAR-10", "classification", (Protocol("cifar10"),)),
    Dataset(ZERO_SHOT, "CIFAR-100", "classification", (Protocol("cifar100"),)),
    Dataset(ZERO_SHOT, "ObjectNet", "classification", (Protocol("objectnet"),)),
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


def datasets_by_group() -> dict[Group, list[Dataset]]:
    """Every group with its datasets, in page order (read when called, so a group added to GROUPS shows at once)."""
    return {g: [d for d in DATASETS if d.group == g] for g in GROUPS}


def probe_group() -> Group:
    """The group whose table shows the effective-length columns: the group of the probe's task."""
    return next(d.group for d in DATASETS if PROBE_TASK in d.tasks)


def protocol_marks() -> list[Protocol]:
    """Every marked (non-column) protocol, in mark order, for the footnotes."""
    return sorted((p for d in DATASETS for p in d.protocols[1:]), key=lambda p: p.mark)
