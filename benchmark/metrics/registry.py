"""The metric registry: every metric longbench reports, declared once.

A metric's entry says what it is (label, description), which way is better, its scale and range (checked when a
result file is read), which task kinds produce it, whether the leaderboard's main table shows it, and its names in
other tools (for exports). Evaluators, the result schema, the report columns, the gate, the CLI tables and the
exports all read these entries; a new metric is one entry here plus its computation.

Recall@K exists for any K (`--recall-k`): `metric("i2t_r50")` builds the entry from the recall family, so only the
default Ks are listed, and the name pattern is spelled here alone (`recall_name`).

Pure Python: the report layer imports this without numpy or torch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import DataError, UnknownNameError
from ..kinds import SELECTION

#: Retrieval directions: image -> text (an image query, its captions relevant) and text -> image.
I2T, T2I = "i2t", "t2i"
DIRECTIONS = (I2T, T2I)
DIRECTION_LABELS = {I2T: "I2T", T2I: "T2I"}

#: Scales: a percentage in [0, 100], or a 1-based rank (>= 1).
PERCENT, RANK = "percent", "rank"
#: The Ks every retrieval result carries (`--recall-k` adds others).
DEFAULT_KS = (1, 5, 10)


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    #: Task kinds whose evaluator produces it ("retrieval", "classification", ...).
    kinds: tuple[str, ...]
    higher_is_better: bool = True
    scale: str = PERCENT
    #: The leaderboard's label where the table already says which metric it shows (its main table).
    short_label: str | None = None
    #: Shown in the leaderboard's main table.
    headline: bool = False
    direction: str | None = None
    k: int | None = None
    #: Its name in other tools, e.g. {"clip_benchmark": "text_retrieval_recall@1"}.
    aliases: dict[str, str] = field(default_factory=dict)

    def problem(self, value: object) -> str | None:
        """Why `value` cannot be this metric's value (a number on its scale; NaN/Inf are allowed and mean an invalid
        model output, which the report marks), or None."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected a number, found {value!r}"
        if not math.isfinite(value):
            return None
        if self.scale == PERCENT and not 0.0 <= value <= 100.0:
            return f"expected a percentage from 0 to 100, found {value!r}"
        if self.scale == RANK and value < 1.0:
            return f"expected a rank >= 1, found {value!r}"
        return None


_METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    if metric.name in _METRICS:
        raise ValueError(f"metric {metric.name!r} is registered twice")
    _METRICS[metric.name] = metric
    return metric


_RECALL = re.compile(r"^(i2t|t2i)_r([1-9][0-9]*)$")


def recall_name(direction: str, k: int) -> str:
    """The result-file name of Recall@k in `direction`: `i2t_r5`."""
    return f"{direction}_r{k}"


def recall(direction: str, k: int) -> Metric:
    """Recall@k (hit@k) in `direction`, as CLIP and CLIP_benchmark define it."""
    label = DIRECTION_LABELS[direction]
    relevant = "any of its captions" if direction == I2T else "its image"
    cb = "text_retrieval_recall" if direction == I2T else "image_retrieval_recall"
    return Metric(
        recall_name(direction, k), f"{label} R@{k}",
        f"share of {'images' if direction == I2T else 'captions'} with {relevant} among the top {k}",
        ("retrieval",), short_label=label if k == 1 else None, headline=k == 1, direction=direction, k=k,
        aliases={"clip_benchmark": f"{cb}@{k}", "mteb": f"hit_rate_at_{k}"})


def parse_ks(value: str | Iterable[int]) -> tuple[int, ...]:
    """`--recall-k 1,5,50` (or the numbers) -> (1, 5, 50): whole numbers >= 1, sorted, each once."""
    parts = str(value).split(",") if isinstance(value, str) else list(value)
    try:
        ks = {_whole(part) for part in parts if str(part).strip()}
    except ValueError:
        ks = set()
    if not ks or min(ks) < 1:
        raise DataError(f"--recall-k {value!r}: expected comma-separated whole numbers >= 1, e.g. 1,5,10")
    return tuple(sorted(ks))


def _whole(part: object) -> int:
    if isinstance(part, (bool, float)):
        raise ValueError(part)
    return int(str(part).strip())


#: The rank metrics beyond Recall@K, per direction: (name suffix, label, scale, higher is better, description).
_RANK_METRICS = (
    ("mrr", "MRR", PERCENT, True, "mean reciprocal rank of the first relevant item (ties to the lower index)"),
    ("mrr10", "MRR@10", PERCENT, True,
     "mean reciprocal rank of the first relevant item cut at 10: 1/r where r <= 10, else 0 (mteb's mrr_at_10)"),
    ("ndcg10", "nDCG@10", PERCENT, True,
     "binary-relevance nDCG@10: DCG over relevant items in the top 10 divided by the ideal DCG of min(#relevant, 10)"),
    ("median_rank", "median rank", RANK, False, "median 1-based rank of the first relevant item (lower is better)"),
)


#: The rank metrics' names in other tools (mteb's full-list MRR has no name: its `mrr_at_10` is MRR@10).
_RANK_ALIASES = {"ndcg10": {"mteb": "ndcg_at_10"}, "mrr10": {"mteb": "mrr_at_10"}}


def rank_metric(direction: str, suffix: str) -> Metric:
    """The registered rank metric `suffix` (mrr, ndcg10, median_rank) of `direction`."""
    return _METRICS[f"{direction}_{suffix}"]


def metric(name: str) -> Metric:
    """The entry for `name` (any Recall@K included); UnknownNameError for a name no entry or family has."""
    if name in _METRICS:
        return _METRICS[name]
    match = _RECALL.match(name)
    if match:
        return recall(match[1], int(match[2]))
    known = ", ".join(_METRICS)
    raise UnknownNameError(f"unknown metric {name!r} (known: {known}, and i2t_rK / t2i_rK for any K)")


def by_alias(tool: str, name: str) -> Metric | None:
    """The entry whose name in `tool` is `name` (Recall@K for any K: K is the trailing number), or None."""
    found = next((m for m in _METRICS.values() if m.aliases.get(tool) == name), None)
    k = re.search(r"([1-9][0-9]*)$", name)
    if found is None and k:
        found = next((m for d in DIRECTIONS if (m := recall(d, int(k[1]))).aliases.get(tool) == name), None)
    return found


def is_metric(name: str) -> bool:
    return name in _METRICS or _RECALL.match(name) is not None


def metrics_of(kind: str) -> list[Metric]:
    """The registered metrics a task kind produces, in declaration order."""
    return [m for m in _METRICS.values() if kind in m.kinds]


def metric_order(names) -> list[str]:
    """Registered metrics in declaration order, then Recall@K by direction and K, then any others alphabetically."""
    names = set(names)
    known = [m for m in _METRICS if m in names]
    recalls = sorted((n for n in names - set(known) if _RECALL.match(n)),
                     key=lambda n: (DIRECTIONS.index(metric(n).direction), metric(n).k))
    return known + recalls + sorted(names - set(known) - set(recalls))


for _direction in DIRECTIONS:
    for _k in DEFAULT_KS:
        register_metric(recall(_direction, _k))
for _direction in DIRECTIONS:
    _queries = "images (any caption relevant)" if _direction == I2T else "captions (its image relevant)"
    for _suffix, _label, _scale, _higher, _description in _RANK_METRICS:
        register_metric(Metric(
            f"{_direction}_{_suffix}", f"{DIRECTION_LABELS[_direction]} {_label}", f"{_description}, over {_queries}",
            ("retrieval",), higher_is_better=_higher, scale=_scale, direction=_direction,
            aliases=_RANK_ALIASES.get(_suffix, {})))

ACC1 = register_metric(Metric(
    "acc1", "top-1", "share of images whose class scores highest", ("classification",), short_label="",
    headline=True, aliases={"clip_benchmark": "acc1", "mteb": "accuracy"}))
ACC5 = register_metric(Metric(
    "acc5", "top-5", "share of images whose class is among the 5 highest (tasks with >= 5 classes)",
    ("classification",), aliases={"clip_benchmark": "acc5"}))
MEAN_PER_CLASS_RECALL = register_metric(Metric(
    "mean_per_class_recall", "mean per-class recall",
    "mean over the classes present of each class's top-1 recall (scikit-learn's balanced accuracy)",
    ("classification",), aliases={"clip_benchmark": "mean_per_class_recall"}))

# Image-caption selection (the compositional tasks, metrics/selection.py): shares of items, in percent. Ties are
# decided as each benchmark's authors' code decides them; CLIP_benchmark's and mteb's argmax counts a tie for the
# first caption as right, so their numbers can differ where ties occur (docs/compositional.md).
_PAIR_ALIASES = {"clip_benchmark": "text_acc", "mteb": "text_acc"}
TEXT_ACC = register_metric(Metric(
    "text_acc", "text accuracy",
    "share of items whose image scores its caption strictly above every other caption of the item (a tie counts "
    "as wrong: SugarCrepe's main_eval.py, ARO's VG evaluate_scores)", (SELECTION,), short_label="", headline=True,
    aliases=_PAIR_ALIASES))
TEXT_SCORE = register_metric(Metric(
    "text_score", "text score",
    "Winoground: share of items where each image scores its own caption strictly above the other caption",
    (SELECTION,), short_label="text", aliases=_PAIR_ALIASES))
IMAGE_SCORE = register_metric(Metric(
    "image_score", "image score",
    "Winoground: share of items where each caption scores its own image strictly above the other image",
    (SELECTION,), short_label="image", aliases={"clip_benchmark": "image_acc", "mteb": "image_acc"}))
GROUP_SCORE = register_metric(Metric(
    "group_score", "group score", "Winoground: share of items with both the text and the image score right",
    (SELECTION,), short_label="group", headline=True, aliases={"clip_benchmark": "acc", "mteb": "accuracy"}))
ITT_ACC = register_metric(Metric(
    "itt_acc", "image-to-text accuracy",
    "SugarCrepe++ ITT: share of items whose image scores both positive captions strictly above the negative",
    (SELECTION,), short_label="ITT", headline=True))
TOT_ACC = register_metric(Metric(
    "tot_acc", "text-only accuracy",
    "SugarCrepe++ TOT: share of items whose two positive captions are strictly closer to each other than either is "
    "to the negative (text embeddings only)", (SELECTION,), short_label="TOT", headline=True))
MACRO_ACC = register_metric(Metric(
    "macro_acc", "macro accuracy",
    "ARO VG-Relation / VG-Attribution: the mean over relations (attribute pairs) of each one's text accuracy, with "
    "the groups the authors' notebook leaves out left out", (SELECTION,), short_label="", headline=True))
PRECISION1 = register_metric(Metric(
    "precision1", "P@1",
    "ARO COCO-Order / Flickr30k-Order: share of items whose image scores the true caption highest of the five "
    "(its argmax: a tie with a perturbation counts as right, the true caption being first)", (SELECTION,),
    short_label="", headline=True))
