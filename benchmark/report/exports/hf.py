"""`longbench export hf`: evaluation results for a model card on the Hub, per model folder:

- `.eval_results/<task>.yaml`: the Hub's evaluation-results entries (https://huggingface.co/docs/hub/eval-results;
  the fields as mteb's own writer models them): a list of `{dataset: {id, task_id, revision}, value, date, notes,
  source: {name}}`, one entry per metric. `dataset.id` is `longbench/<task>` (the task is longbench's, not a Hub
  benchmark dataset), `task_id` is `<task>/<metric>`;
- `model-index.yaml`: the card's `model-index` block (paste it into the card's YAML front matter), one result per
  task with every metric, the dataset's `args` naming longbench's version and the task's protocol (a model-index
  `source` needs a URL, which a local measurement has none of).

Values are longbench's own: percent (a median rank as a rank), under longbench's metric names.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

from ... import __version__
from ...artifacts.atomic import atomic_open
from ...metrics.registry import metric, metric_order
from ..collect import ResultRecord
from . import Export, Exporter, Selection, register_exporter

#: The Hub's task types for the model-index block.
HUB_TASKS = {"retrieval": "image-text-retrieval", "classification": "zero-shot-image-classification"}


def _source(record: ResultRecord) -> dict:
    return {"name": f"longbench {__version__}: {record.result.task.protocol}"}


def eval_results(record: ResultRecord) -> list[dict]:
    """The `.eval_results/<task>.yaml` entries of one result: one per metric."""
    result = record.result
    task = result.task.name
    return [{"dataset": {"id": f"longbench/{task}", "task_id": f"{task}/{name}",
                         "revision": f"task-v{result.task.task_version}"},
             "value": result.metrics[name],
             "date": result.created[:10],
             "notes": f"{metric(name).label} ({metric(name).description}); longbench {__version__}, "
                      f"protocol: {result.task.protocol}",
             "source": _source(record)}
            for name in metric_order(result.metrics)]


def model_index(model: str, records: list[ResultRecord]) -> dict:
    """The card's `model-index` block of one model's results."""
    results = []
    for record in records:
        result = record.result
        results.append({
            "task": {"type": HUB_TASKS.get(result.kind, result.kind), "name": result.kind},
            "dataset": {"name": result.task.name, "type": f"longbench/{result.task.name}", "split": "test",
                        "revision": f"task-v{result.task.task_version}",
                        "args": {"longbench": __version__, "protocol": result.task.protocol}},
            "metrics": [{"type": name, "name": metric(name).label, "value": result.metrics[name]}
                        for name in metric_order(result.metrics)],
        })
    return {"model-index": [{"name": model, "results": results}]}


def _write_yaml(path: Path, data: object) -> Path:
    with atomic_open(path) as fh:
        yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
    return path


def write(selection: Selection, out: Path) -> Export:
    report = Export()
    by_model: dict[str, list[ResultRecord]] = defaultdict(list)
    for record in selection.records():
        by_model[record.result.model.name].append(record)
    for model, records in sorted(by_model.items()):
        folder = out / model.replace("/", "__")
        for record in records:
            report.written.append(_write_yaml(folder / ".eval_results" / f"{record.result.task.name}.yaml",
                                              eval_results(record)))
        report.written.append(_write_yaml(folder / "model-index.yaml", model_index(model, records)))
    return report


register_exporter(Exporter("hf", "model-card evaluation results: .eval_results/*.yaml and a model-index block",
                           write))
