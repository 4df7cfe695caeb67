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

from ..kinds import SELECTION
from ..metrics.registry import (
    DEFAULT_KS,
    DIRECTIONS,
    GROUP_SCORE,
    IMAGE_SCORE,
    ITT_ACC,
    MACRO_ACC,
    PRECISION1,
    TEXT_ACC,
    TEXT_SCORE,
    TOT_ACC,
    metric,
    metrics_of,
    recall_name,
)


@dataclass(frozen=True)
class Group:
    name: str  # its heading, e.g. "Long retrieval"
    slug: str  # its anchor on the web leaderboard
    description: str  # what its columns measure, in one sentence
    #: leaderboard.md draws it as a table of its own, with its own mean rank, after the Recall@K table (many narrow
    #: columns that would otherwise outweigh the retrieval and zero-shot columns in the main table's mean rank); the
    #: web leaderboard draws every group as its own table anyway.
    own_table: bool = False


LONG_RETRIEVAL = Group("Long retrieval", "long-retrieval",
                       "Image-text retrieval with long, detailed captions: what CLIP's 77 tokens cut off.")
SHORT_RETRIEVAL = Group("Short retrieval", "short-retrieval",
                        "Image-text retrieval with short captions: what a long-text model must not lose.")
ZERO_SHOT = Group("Zero-shot", "zero-shot", "Zero-shot image classification from class-name prompts.")
COMPOSITIONAL = Group(
    "Compositional", "compositional",
    "Image-caption selection: percent of items where the model prefers the right caption (or image) to hard "
    "negatives that change word order, attributes or relations (docs/compositional.md). SugarCrepe Replace, Swap and "
    "Add pool the items of their subsets (the paper's category numbers; shown where all are measured); VG-Relation "
    "and VG-Attribution show the macro accuracy, COCO-/Flickr30k-Order Precision@1, SugarCrepe++ (SC++) its "
    "image-to-text (ITT) and text-only (TOT) accuracies.", own_table=True)
#: The groups in page order.
GROUPS: tuple[Group, ...] = (LONG_RETRIEVAL, SHORT_RETRIEVAL, ZERO_SHOT, COMPOSITIONAL)


@dataclass(frozen=True)
class Protocol:
    task: str  # the longbench task name, which fixes the protocol
    mark: str = ""  # footnote mark when this is not the column's own protocol
    note: str = ""  # what differs from the column's protocol


@dataclass(frozen=True)
class Dataset:
    group: Group
    label: str
    kind: str  # "retrieval" | "classification" | "selection": which metrics it has
    protocols: tuple[Protocol, ...]  # the first is the column's own protocol
    #: The metrics it shows, where they are not its table's for its kind (each compositional task has its own).
    metrics: tuple[str, ...] = ()
    #: A pooled column: its metric over all the items of these tasks, each under its own protocol (the values weighted
    #: by item counts, as SugarCrepe's category numbers); shown only where every one is measured, with any mark one of
    #: them carries. `protocols` is then empty.
    mean_of: tuple[str, ...] = ()

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(p.task for p in self.protocols)

    @property
    def reads(self) -> tuple[str, ...]:
        """Every task whose results its cells may show: its protocols' tasks, or the tasks it pools."""
        return self.tasks + self.mean_of


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
    *(Dataset(COMPOSITIONAL, f"SugarCrepe {category}", SELECTION, (), (TEXT_ACC.name,),
              tuple(f"sugarcrepe-{subset}" for subset in subsets)) for category, subsets in (
        ("Replace", ("replace_obj", "replace_att", "replace_rel")), ("Swap", ("swap_obj", "swap_att")),
        ("Add", ("add_obj", "add_att")))),
    *(Dataset(COMPOSITIONAL, f"SC {subset}", SELECTION, (Protocol(f"sugarcrepe-{subset}"),), (TEXT_ACC.name,))
      for subset in ("replace_obj", "replace_att", "replace_rel", "swap_obj", "swap_att", "add_obj", "add_att")),
    Dataset(COMPOSITIONAL, "Winoground", SELECTION, (Protocol("winoground"),),
            (TEXT_SCORE.name, IMAGE_SCORE.name, GROUP_SCORE.name)),
    Dataset(COMPOSITIONAL, "VG-Relation", SELECTION, (Protocol("aro-vg-relation"),), (MACRO_ACC.name,)),
    Dataset(COMPOSITIONAL, "VG-Attribution", SELECTION, (Protocol("aro-vg-attribution"),), (MACRO_ACC.name,)),
    Dataset(COMPOSITIONAL, "COCO-Order", SELECTION, (Protocol("aro-coco-order"),), (PRECISION1.name,)),
    Dataset(COMPOSITIONAL, "Flickr30k-Order", SELECTION, (Protocol("aro-flickr30k-order"),), (PRECISION1.name,)),
    *(Dataset(COMPOSITIONAL, f"SC++ {subset}", SELECTION, (Protocol(f"sugarcrepe-pp-{subset}"),),
              (ITT_ACC.name, TOT_ACC.name))
      for subset in ("replace_obj", "replace_att", "replace_rel", "swap_obj", "swap_att")),
)

# The metrics of each table, per dataset kind; a kind absent from a table contributes no columns to it, and a
# dataset that names its own metrics (Dataset.metrics) shows those wherever its kind is present.
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
    """The columns of the datasets whose kind has metrics here: each with its own metrics, else its kind's."""
    return [Column(d, m) for d in DATASETS if d.kind in metrics for m in d.metrics or metrics[d.kind]]


def datasets_by_group() -> dict[Group, list[Dataset]]:
    """Every group with its datasets, in page order (read when called, so a group added to GROUPS shows at once)."""
    return {g: [d for d in DATASETS if d.group == g] for g in GROUPS}


def probe_group() -> Group:
    """The group whose table shows the effective-length columns: the group of the probe's task."""
    return next(d.group for d in DATASETS if PROBE_TASK in d.tasks)


def protocol_marks() -> list[Protocol]:
    """Every marked (non-column) protocol, in mark order, for the footnotes."""
    return sorted((p for d in DATASETS for p in d.protocols[1:]), key=lambda p: p.mark)
