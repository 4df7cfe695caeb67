"""`longbench export mteb`: mteb TaskResult files and model_meta.json in the results repository's layout,
`<org>__<model>/<revision or no_revision_available>/<task>.json`, which mteb's `TaskResult.from_disk` loads.

No longbench task is an mteb task: MIEB's image-text tasks read other copies of the data (Hub datasets such as
mteb/flickr30ki2t, M-BEIR's mscoco) under other protocols (mteb's corpus/query retrieval, its own prompts), so
`TASKS` is empty until one is verified the same (docs/interop.md). Each task is therefore exported under
longbench's name, one file per retrieval direction (`<task>-i2t`, `<task>-t2i`, as MIEB splits its tasks), with a
`longbench` field saying where it comes from and that mteb has no such task.

Scores are mteb's names as fractions, from the metric registry's aliases: `hit_rate_at_K` (longbench's Recall@K,
hit@K), `ndcg_at_10`, `mrr_at_10` (MRR cut at 10: never the full MRR), `accuracy` (top-1); `main_score` is the score
MIEB's tasks of that type name (`ndcg_at_10` for Any2AnyRetrieval, `accuracy` for ZeroShotClassification).
"""

from __future__ import annotations

from pathlib import Path

from ... import __version__
from ...artifacts.atomic import write_json_atomic
from ...metrics.registry import DIRECTIONS, metric, metric_order, rank_metric
from ..collect import ResultRecord
from . import Export, Exporter, Selection, register_exporter

TOOL = "mteb"
#: longbench task -> mteb task name, for tasks whose data and protocol are verified the same: none yet (module doc).
TASKS: dict[str, str] = {}
NO_REVISION = "no_revision_available"
#: The split and subset every exported score list holds.
SPLIT, SUBSET, LANGUAGES = "test", "default", ["eng-Latn"]
NOT_IN_MTEB = "mteb has no task with this data and protocol: exported under longbench's task name"
#: The main score of each kind, as MIEB's tasks of that type name it.
MAIN_SCORES = {"retrieval": "ndcg_at_10", "classification": "accuracy"}


def task_results(record: ResultRecord) -> dict[str, dict]:
    """mteb task name -> TaskResult document, for one longbench result (one per direction for retrieval)."""
    result = record.result
    name = TASKS.get(result.task.name, result.task.name)
    if result.kind != "retrieval":
        return {name: _document(record, name, result.metrics)}
    return {f"{name}-{d}": _document(record, f"{name}-{d}", {n: v for n, v in result.metrics.items()
                                                            if metric(n).direction == d})
            for d in DIRECTIONS if rank_metric(d, "ndcg10").name in result.metrics}


def _document(record: ResultRecord, name: str, values: dict[str, float]) -> dict:
    result = record.result
    scores = {metric(n).aliases[TOOL]: values[n] / 100.0 for n in metric_order(values) if TOOL in metric(n).aliases}
    scores["main_score"] = scores[MAIN_SCORES[result.kind]]
    return {
        "dataset_revision": f"longbench-task-v{result.task.task_version}",
        "task_name": name,
        "mteb_version": None,  # not measured by mteb
        "scores": {SPLIT: [{**scores, "hf_subset": SUBSET, "languages": LANGUAGES}]},
        "evaluation_time": sum(result.timings.values()) or None,
        "kg_co2_emissions": None,
        "date": result.created,
        "longbench": {"version": __version__, "task": result.task.name, "protocol": result.task.protocol,
                      "file": record.path, **({} if result.task.name in TASKS else {"note": NOT_IN_MTEB})},
    }


def model_folder(record: ResultRecord) -> Path:
    model = record.result.model
    return Path(model.name.replace("/", "__")) / (model.revision or NO_REVISION)


def model_meta(record: ResultRecord) -> dict:
    model = record.result.model
    return {"name": model.name, "revision": model.revision or NO_REVISION, "release_date": None, "languages": None,
            "n_parameters": None, "max_tokens": model.context_length, "embed_dim": None, "license": model.licence,
            "open_weights": None, "public_training_code": None, "public_training_data": None, "framework": ["PyTorch"],
            "reference": None, "similarity_fn_name": "cosine", "use_instructions": False, "training_datasets": None,
            "modalities": ["image", "text"], "loader": None}


def write(selection: Selection, out: Path) -> Export:
    report = Export()
    for record in selection.records():
        documents = task_results(record)
        if not documents:
            report.notes.append(f"{record.path}: left out: no nDCG@10 (mteb's main score); re-run it with this "
                                "longbench")
            continue
        folder = out / model_folder(record)
        for name, doc in documents.items():
            report.written.append(write_json_atomic(folder / f"{name}.json", doc))
        write_json_atomic(folder / "model_meta.json", model_meta(record))
        if record.result.task.name not in TASKS:
            report.notes.append(f"{record.result.task.name}: {NOT_IN_MTEB} ({', '.join(documents)})")
    return report


register_exporter(Exporter("mteb", "mteb TaskResult files and model_meta.json (results-repository layout)", write))
