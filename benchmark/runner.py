"""`run`: evaluate one model on a list of tasks and write one result file per task.

Every dataset is loaded (layout checked, files listed) before any encoding starts, so a wrong path fails in
seconds, not after an hour of encoding. A task's result file is written only once its evaluation completed.

Under torchrun every rank loads the tasks, encodes its share and computes the same metrics from the gathered
embeddings (distributed.py); rank 0 alone writes result files and returns the runs (the others return []).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import open_clip
import torch

from . import __version__
from .adapters import ImageTextModel, load_model
from .datasets import ClassificationDataset, Dataset, LoadOptions
from .distributed import join
from .encode import Encoder, resolve_device
from .evaluators import EVALUATORS, EvalOptions, Evaluation
from .metrics.retrieval import check_index
from .results import Result, TaskInfo, result_path, write_result
from .tasks import Task, resolve_tasks


@dataclass
class RunConfig:
    data_root: Path | None = None
    #: Per-task roots (`--root urban1k=/path`), overriding `<data_root>/<subdir>`.
    roots: dict[str, Path] = field(default_factory=dict)
    output: Path = Path("results")
    batch_size: int = 64
    device: str | None = "auto"
    workers: int = 0
    precision: str = "auto"
    limit: int | None = None
    skip_bad_images: bool = False
    bootstrap: int = 0
    seed: int = 0
    templates: str | None = None
    cache_dir: Path | None = None
    progress: bool = True
    #: Retrieval ranking: auto, dense, chunked or faiss (metrics/retrieval.py); all give the same recalls.
    index: str = "auto"


@dataclass
class TaskRun:
    task: str
    result: Result
    path: Path


def run(model: str | ImageTextModel | None, tasks: str | Sequence[Task], config: RunConfig | None = None, *,
        checkpoint: Path | str | None = None, label: str | None = None,
        on_result: Callable[[TaskRun], None] | None = None) -> list[TaskRun]:
    """Evaluate `model` (a name, an adapter, or None with `checkpoint`) on `tasks` (names/groups or Task objects).

    `label` files the results under another model name (e.g. one per fine-tuning run of the same architecture).
    """
    config = config or RunConfig()
    check_index(config.index)
    selected = resolve_tasks(tasks) if isinstance(tasks, str) else list(tasks)
    loaded = [(task, *_load(task, config)) for task in selected]
    adapter = model if isinstance(model, ImageTextModel) else load_model(model, checkpoint, label=label)
    encoder = make_encoder(adapter, config)
    options = EvalOptions(config.bootstrap, config.seed, config.templates, config.cache_dir, config.index)
    runs = []
    for task, dataset, load_seconds in loaded:
        evaluation = EVALUATORS.get(task.meta.kind)(encoder, dataset, options)
        evaluation.timings = {"load": load_seconds, **evaluation.timings}
        result = build_result(adapter, task, dataset, evaluation, encoder, config)
        if not encoder.group.main:
            continue
        path = write_result(result, result_path(config.output, adapter.name, task.meta.name))
        runs.append(TaskRun(task.meta.name, result, path))
        if on_result:
            on_result(runs[-1])
    return runs


def make_encoder(adapter: ImageTextModel, config: RunConfig) -> Encoder:
    """The encoder `config` describes, on this rank's device and in its group (one process: rank 0 of 1)."""
    group = join(resolve_device(config.device))
    return Encoder(adapter, config.device, config.batch_size, config.workers, config.precision, config.progress,
                   skip_bad_images=config.skip_bad_images, group=group)


def _load(task: Task, config: RunConfig) -> tuple[Dataset, float]:
    start = time.perf_counter()
    root = task.root(config.data_root, config.roots)
    dataset = task.load(root, LoadOptions(limit=config.limit, skip_bad_images=config.skip_bad_images))
    return dataset, time.perf_counter() - start


def build_result(adapter: ImageTextModel, task: Task, dataset: Dataset, evaluation: Evaluation, encoder: Encoder,
                 config: RunConfig) -> Result:
    meta = task.meta
    skipped = [*dataset.skipped, *evaluation.skipped]
    classification = isinstance(dataset, ClassificationDataset)
    n_images = len(dataset.images) - len(evaluation.skipped)
    expected = meta.expected.get("images")
    info = TaskInfo(
        name=meta.name, kind=meta.kind, protocol=meta.protocol, n_images=n_images, expected_images=expected,
        subset=config.limit is not None or (expected is not None and n_images != expected),
        n_texts=None if classification else len(dataset.texts) - evaluation.counts["captions_of_skipped_images"],
        n_classes=len(dataset.classnames) if classification else None,
        fingerprint=dataset.fingerprint, limit=config.limit, prompts=evaluation.prompts,
        warnings=[*dataset.warnings, *([meta.warning] if meta.warning else [])],
        counts={**dataset.counts, **evaluation.counts}, skipped=skipped)
    return Result(model=adapter.provenance, task=info, metrics=evaluation.metrics,
                  environment=environment(encoder), timings=evaluation.timings, ci=evaluation.ci,
                  bootstrap={"samples": config.bootstrap, "seed": config.seed} if config.bootstrap else None,
                  truncation=evaluation.truncation, by_length=evaluation.by_length)


def environment(encoder: Encoder) -> dict[str, str]:
    device = str(encoder.device)
    if encoder.device.type == "cuda":
        device += f" ({torch.cuda.get_device_name(encoder.device)})"
    return {"longbench": __version__, "torch": torch.__version__, "open_clip": open_clip.__version__,
            "python": platform.python_version(), "device": device, "dtype": str(encoder.dtype).replace("torch.", "")}
