"""`longbench export clip-benchmark`: one JSON per (model, task) exactly as `clip_benchmark eval` writes it, under its
default file name, so that `clip_benchmark build` reads the folder (interop/clip_benchmark.py has the format).

`model` and `pretrained` are open_clip's architecture and tag where the result names them (`open_clip:ARCH@TAG`),
else the architecture and longbench's model name. Metrics are CLIP_benchmark's names as fractions; a metric it has
no name for (MRR, nDCG@10, median rank) is left out. A task CLIP_benchmark does not have keeps longbench's name,
with `"longbench_note"` saying so (clip_benchmark build copies it into a column).
"""

from __future__ import annotations

import re
from pathlib import Path

from ...artifacts.atomic import write_json_atomic
from ...interop import clip_benchmark as cb
from ...metrics.registry import metric, metric_order
from ..collect import ResultRecord
from . import Export, Exporter, Selection, register_exporter

#: CLIP_benchmark's `language` for every longbench task (English captions and class names).
LANGUAGE = "en"
#: The name a task CLIP_benchmark does not have is exported under, with this note.
NOT_IN_CLIP_BENCHMARK = "CLIP_benchmark has no task with this data and protocol: exported under longbench's task name"
_OPEN_CLIP_NAME = re.compile(r"^open_clip:(?P<model>[^@]+)@(?P<pretrained>.+)$")


def document(record: ResultRecord) -> dict:
    """The CLIP_benchmark result JSON of one longbench result."""
    result = record.result
    model, pretrained = _model(record)
    part = cb.counterpart(result.task)
    names = [n for n in metric_order(result.metrics) if cb.TOOL in metric(n).aliases]
    doc = {
        "dataset": part.dataset if part else result.task.name,
        "model": model,
        "pretrained": pretrained,
        "task": part.task if part else _task_of(result.kind),
        "metrics": {metric(n).aliases[cb.TOOL]: result.metrics[n] / 100.0 for n in names},
        "language": LANGUAGE,
    }
    return doc if part else {**doc, "longbench_note": NOT_IN_CLIP_BENCHMARK}


def _task_of(kind: str) -> str:
    return next(task for task, k in cb.KINDS.items() if k == kind)


def _model(record: ResultRecord) -> tuple[str, str]:
    info = record.result.model
    match = _OPEN_CLIP_NAME.match(info.source or "") or _OPEN_CLIP_NAME.match(info.name)
    return (match["model"], match["pretrained"]) if match else (info.architecture, info.name)


def write(selection: Selection, out: Path) -> Export:
    report = Export()
    for record in selection.records():
        doc = document(record)
        path = out / cb.file_name(doc["dataset"], doc["pretrained"], doc["model"], doc["language"], doc["task"])
        report.written.append(write_json_atomic(path, doc))
        if "longbench_note" in doc:
            report.notes.append(f"{record.result.task.name}: {NOT_IN_CLIP_BENCHMARK} ({path.name})")
    return report


register_exporter(Exporter("clip-benchmark", "one CLIP_benchmark result JSON per (model, task)", write))
