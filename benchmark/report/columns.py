"""The leaderboard's columns as data: which task fills which column, and which tasks are marked as another protocol.

A column is a dataset x metric. A dataset lists the tasks that may fill it, its own protocol first; a cell filled
by a later task was measured under a different protocol and carries that task's footnote mark, so different
protocols are never silently mixed. Add a dataset or an alternative protocol here, not in the rendering code.
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
class Protocol:
    task: str  # the longbench task name, which fixes the protocol
    mark: str = ""  # footnote mark when this is not the column's own protocol
    note: str = ""  # what differs from the column's protocol


@dataclass(frozen=True)
class Dataset:
    group: str
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


@dataclass(frozen=True)
class Column:
    dataset: Dataset
    metric: str

    @property
    def header(self) -> str:
        entry = metric(self.metric)
        suffix = entry.label if entry.short_label is None else entry.short_label
        return f"{self.dataset.label} {suffix}" if suffix else self.dataset.label


#: The compositional tasks' group: a table of its own (OWN_TABLES).
COMPOSITIONAL = "Compositional"

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

#: Groups drawn as a table of their own, with their own mean rank, after the Recall@K table (many narrow columns that
#: would otherwise outweigh the retrieval and zero-shot columns in the main table's mean rank), each with its note.
OWN_TABLES = {COMPOSITIONAL: (
    "Percent of items right, ranked in this table alone. SugarCrepe Replace, Swap and Add pool the items of their "
    "subsets (the paper's category numbers; shown where all are measured); VG-Relation and VG-Attribution show the "
    "macro accuracy, COCO-/Flickr30k-Order Precision@1, SugarCrepe++ (SC++) its image-to-text (ITT) and text-only "
    "(TOT) accuracies (docs/compositional.md).")}

# The metrics of each table, per dataset kind; a kind absent from a table contributes no columns to it.
MAIN_METRICS = {kind: tuple(m.name for m in metrics_of(kind) if m.headline)
                for kind in dict.fromkeys(d.kind for d in DATASETS if d.group not in OWN_TABLES)}
RECALL_AT_K_METRICS = {"retrieval": tuple(recall_name(d, k) for d in DIRECTIONS for k in DEFAULT_KS if k > 1)}

# A result measured on a subset (`--limit`) is not the column's protocol either.
LIMIT_MARK = "L"
# Nor is one measured under an older version of its task than the newest version on the page.
VERSION_MARK = "V"

# Effective-length columns: one per probe unit, read from the probe on this task when there is one.
PROBE_TASK = "urban1k"
PROBE_COLUMNS = (("tokens", "Eff. length (tokens)"), ("words", "Eff. length (words)"))


def columns(metrics: dict[str, tuple[str, ...]]) -> list[Column]:
    """The columns of a table of the page's main groups (OWN_TABLES apart) with these metrics per kind."""
    return [Column(d, m) for d in DATASETS if d.group not in OWN_TABLES for m in metrics.get(d.kind, ())]


def group_columns(group: str) -> list[Column]:
    """The columns of a group drawn as its own table: each dataset with its own metrics."""
    return [Column(d, m) for d in DATASETS if d.group == group for m in d.metrics]


def protocol_marks() -> list[Protocol]:
    """Every marked (non-column) protocol, in mark order, for the footnotes."""
    return sorted((p for d in DATASETS for p in d.protocols[1:]), key=lambda p: p.mark)
