"""`run`: evaluate one model on a list of tasks and write one result file per task.

Every dataset is loaded (layout checked, files listed) and every output location checked (writable, inside
`--output`, not replacing a result the overwrite policy keeps: artifacts/store.py) before any encoding starts, so a
wrong path fails in seconds, not after an hour of encoding. The first model loads in a thread meanwhile: both wait
mostly on files, not on Python. A task's result file is written only once its evaluation completed.

Under torchrun every rank loads the tasks, encodes its share and computes the same metrics from the gathered
embeddings (distributed.py); rank 0 alone writes result files and returns the runs (the others return []).
"""

from __future__ import annotations

import glob
import platform
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from . import __version__
from .adapters import ImageTextModel
from .artifacts.outputs import check_output_file, check_output_folder
from .artifacts.results import Result, TaskInfo, read_result
from .artifacts.store import (
    Measurement,
    check_replaceable,
    existing_result_matches,
    result_path,
    store_result,
)
from .cache_home import CLASSIFIERS, EMBEDDINGS, cache_folder, cache_home_source
from .data.loader import parse_count
from .datasets import ClassificationDataset, Dataset, LoadOptions
from .deferred_model import load_remembered, weights_seconds
from .distributed import current, join
from .embedding_cache import EmbeddingCache
from .encode import Encoder
from .errors import DataError, OutputError
from .evaluators import EVALUATORS, EvalOptions, Evaluation
from .finite import require_finite_metrics
from .lazy import torch
from .metrics.bootstrap import check_bootstrap
from .metrics.registry import DEFAULT_KS, parse_ks
from .metrics.retrieval import check_index
from .prompts import resolve_prompts
from .settings import RunSettings, check_settings, resolve_device
from .tasks import Task, get_task, read_roots, resolve_tasks
from .versions import OPEN_CLIP, installed_version, torch_version

T = TypeVar("T")


@dataclass
class RunConfig:
    data_root: Path | None = None
    #: Per-task roots (`--root urban1k=/path`), overriding `<data_root>/<subdir>`.
    roots: dict[str, Path] = field(default_factory=dict)
    output: Path = Path("results")
    #: A number or "auto" (data/loader.py: 256 on CUDA, 64 on CPU).
    batch_size: int | str = "auto"
    device: str | None = "auto"
    #: Image decoding processes: a number or "auto" (data/loader.py: a share of the cores, 0 on small machines).
    workers: int | str = "auto"
    #: Image decoding: pil (the reference), tensor or gpu (data/decoders.py; opt-in, not bit-identical).
    decode: str = "pil"
    precision: str = "auto"
    limit: int | None = None
    skip_bad_images: bool = False
    bootstrap: int = 0
    seed: int = 0
    templates: str | None = None
    #: Replaces the cache home (cache_home.py: embeddings/ and classifiers/ under it) for this run.
    cache_dir: Path | None = None
    #: Read and write cached embeddings and classifiers (embedding_cache.py); False encodes everything afresh.
    cache: bool = True
    #: Cut text batches after their longest caption where exact (the default); False pads every batch to the
    #: model's full context, the reference path kept for verification and benchmarks.
    trim: bool = True
    progress: bool = True
    #: Retrieval ranking: auto, dense, chunked or faiss (metrics/retrieval.py); all give the same recalls.
    index: str = "auto"
    #: Let a pinned hf: checkpoint run its repository's own code (adapters/backends/remote/).
    trust_remote_code: bool = False
    #: The Ks of Recall@K for retrieval tasks (`--recall-k`; MRR, nDCG@10 and the median rank come always).
    recall_ks: tuple[int, ...] | str = DEFAULT_KS
    #: Replace existing result files even where the overwrite policy (artifacts/store.py) would keep them.
    overwrite: bool = False
    #: Seconds from the process start until this run began (interpreter and imports: startup.py), recorded as the
    #: `startup` stage of every result; None (a run inside a longer session) records none.
    startup: float | None = None

    def __post_init__(self) -> None:
        check_bootstrap(self.bootstrap, self.seed)
        check_settings(self.precision, self.batch_size, self.workers, self.decode)
        # Numbers given as text (the CLI's "8") are kept as numbers, so the config says what the user asked for.
        self.batch_size = parse_count(self.batch_size, "--batch-size", 1)
        self.workers = parse_count(self.workers, "--workers", 0)
        self.recall_ks = parse_ks(self.recall_ks)


@dataclass
class TaskRun:
    task: str
    result: Result
    path: Path
    #: True when `skip_existing` kept an up-to-date result file instead of evaluating again.
    reused: bool = False
    #: Seconds spent writing the result file (not in the file's own timings).
    write_seconds: float = 0.0
    #: The existing result file the overwrite policy kept (this one was written beside it), and why.
    kept: Path | None = None
    kept_reason: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One model of a run: a name, an adapter, a checkpoint, or a name with a checkpoint (its architecture)."""

    model: str | ImageTextModel | None = None
    checkpoint: Path | str | None = None
    label: str | None = None


def model_specs(models: Sequence[str], checkpoints: Sequence[str | Path], label: str | None = None
                ) -> list[ModelSpec]:
    """The models of `run --model ... --checkpoint ...`: each checkpoint (globs expanded, in sorted order) with the
    one architecture given, if any, or else each model. Several checkpoints are filed under their file stems."""
    paths = [path for pattern in checkpoints for path in _expand(str(pattern))]
    if paths and len(models) > 1:
        raise DataError(f"{len(models)} --model values with --checkpoint: give one architecture for the checkpoints "
                        f"(or none, to detect it from each file)")
    if len(paths) > 1 or len(models) > 1:
        if label:
            raise DataError("--name files one model's results; with several models or checkpoints each is filed "
                            "under its own name")
        stems: dict[str, Path] = {}
        for path in paths:
            if path.stem in stems:
                raise DataError(f"checkpoints {stems[path.stem]} and {path} share the name {path.stem!r}: their "
                                f"results would overwrite each other; rename one or evaluate them separately")
            stems[path.stem] = path
        if paths:
            return [ModelSpec(models[0] if models else None, path, path.stem) for path in paths]
        return [ModelSpec(model, None, None) for model in models]
    return [ModelSpec(models[0] if models else None, paths[0] if paths else None, label)]


def _expand(pattern: str) -> list[Path]:
    if not glob.has_magic(pattern):
        return [Path(pattern)]
    found = sorted(Path(p) for p in glob.glob(pattern))
    if not found:
        raise DataError(f"--checkpoint {pattern!r}: no file matches")
    return found


def run(model: str | ImageTextModel | None, tasks: str | Sequence[Task], config: RunConfig | None = None, *,
        checkpoint: Path | str | None = None, label: str | None = None,
        on_result: Callable[[TaskRun], None] | None = None, skip_existing: bool = False) -> list[TaskRun]:
    """Evaluate `model` (a name, an adapter, or None with `checkpoint`) on `tasks` (names/groups or Task objects).

    `label` files the results under another model name (e.g. one per fine-tuning run of the same architecture).
    """
    return run_models([ModelSpec(model, checkpoint, label)], tasks, config, on_result=on_result,
                      skip_existing=skip_existing)


def run_models(models: Sequence[ModelSpec], tasks: str | Sequence[Task], config: RunConfig | None = None, *,
               on_result: Callable[[TaskRun], None] | None = None, skip_existing: bool = False) -> list[TaskRun]:
    """Evaluate each model in turn on `tasks`, the datasets loaded once for all of them.

    `skip_existing` keeps a task's result file, without evaluating, when it holds exactly the measurement this run
    would make (`artifacts.store.existing_result_matches`: checkpoint sha256, task version, data fingerprint,
    protocol, image count).
    """
    config = config or RunConfig()
    check_index(config.index)
    selected = resolve_tasks(tasks) if isinstance(tasks, str) else list(tasks)
    if current().main:  # rank 0 writes; a failure here stops the other ranks through torchrun
        check_output_folder(config.output, "--output")
    for name in config.roots:
        get_task(name)  # an unknown task's --root is a typo, not something to ignore
    if not models:
        return []
    loaded, first = load_beside_model(lambda: [(task, *_load(task, config)) for task in selected], models[0],
                                      config)
    check_templates(config.templates, [dataset for _, dataset, _ in loaded])
    runs: list[TaskRun] = []
    for i, spec in enumerate(models):
        adapter, seconds = first if i == 0 else timed_load(spec, config)
        runs += _evaluate(adapter, seconds, loaded, config, on_result, skip_existing)
    return runs


def load_beside_model(load: Callable[[], T], spec: ModelSpec,
                      config: RunConfig) -> tuple[T, tuple[ImageTextModel, float]]:
    """`load()` (the datasets) in this thread while the model loads in another: (loaded, (model, seconds))."""
    with ThreadPoolExecutor(1, thread_name_prefix="longbench-model") as pool:
        ready = pool.submit(timed_load, spec, config)
        loaded = load()
        return loaded, ready.result()


def timed_load(spec: ModelSpec, config: RunConfig) -> tuple[ImageTextModel, float]:
    """The model and the seconds it took. With the cache on, a model loaded before from the same checkpoint comes
    from its manifest (deferred_model.py): its weights load only if something must be encoded."""
    start = time.perf_counter()
    model = spec.model
    if isinstance(model, ImageTextModel):
        adapter = model
    else:
        adapter = load_remembered(model, spec.checkpoint, label=spec.label, trust_remote_code=config.trust_remote_code,
                                  cache_dir=config.cache_dir, remember=config.cache)
    return adapter, time.perf_counter() - start


def _evaluate(adapter: ImageTextModel, model_seconds: float, loaded: list[tuple[Task, Dataset, float]],
              config: RunConfig, on_result: Callable[[TaskRun], None] | None,
              skip_existing: bool) -> list[TaskRun]:
    encoder = make_encoder(adapter, config)
    # Rank 0 checks (it alone writes); an OutputError there stops every rank before any encoding.
    encoder.group.from_main(partial(check_outputs, adapter, [(task, dataset) for task, dataset, _ in loaded], config))
    options = EvalOptions(config.bootstrap, config.seed, config.templates, config.cache_dir, config.index,
                          config.cache, config.recall_ks)
    runs = []
    for task, dataset, load_seconds in loaded:
        if encoder.cache:
            encoder.cache.reset_counts()
        path = result_path(config.output, adapter.name, task.meta.name)
        if skip_existing:
            # Rank 0 decides (the output folder may exist on its node only) and every rank follows.
            kept = encoder.group.from_main(partial(_up_to_date, path, adapter, task, dataset))
            if kept is not None:
                runs += [TaskRun(task.meta.name, kept, path, reused=True)] if encoder.group.main else []
                continue
        encoder.stage_times.clear()
        evaluation = EVALUATORS.get(task.meta.kind)(encoder, dataset, options)
        # A deferred model's weights load inside the stage that first needed them; model_load counts them too.
        evaluation.timings = {**({"startup": config.startup} if config.startup is not None else {}),
                              "load": load_seconds, "model_load": model_seconds + weights_seconds(adapter),
                              **evaluation.timings, **encoder.stage_times}
        require_finite_metrics(evaluation.metrics, evaluation.ci, adapter.name, task.meta.name)
        result = build_result(adapter, task, dataset, evaluation, encoder, config)
        if not encoder.group.main:
            continue
        start = time.perf_counter()
        stored = store_result(result, config.output, config.overwrite)
        runs.append(TaskRun(task.meta.name, result, stored.path, write_seconds=time.perf_counter() - start,
                            kept=stored.kept, kept_reason=stored.reason))
        if on_result:
            on_result(runs[-1])
    return runs


def _up_to_date(path: Path, adapter: ImageTextModel, task: Task, dataset: Dataset) -> Result | None:
    """The result at `path` when it holds exactly the measurement this run would make; else None."""
    planned = Measurement.planned(adapter.provenance, task.meta, dataset)
    return read_result(path) if existing_result_matches(path, planned) else None


def check_outputs(adapter: ImageTextModel, loaded: Sequence[tuple[Task, Dataset]], config: RunConfig) -> None:
    """Every file this run will write can be written where it belongs (OutputError otherwise), before encoding."""
    for task, dataset in loaded:
        path = result_path(config.output, adapter.name, task.meta.name)
        # Not a folder or a FIFO (which --overwrite could not replace), in a folder this process can write in.
        check_output_file(path, "result file")
        check_replaceable(path, Measurement.planned(adapter.provenance, task.meta, dataset), config.overwrite)
    if config.cache and any(task.meta.kind == "classification" for task, _ in loaded):
        check_cache_folder(CLASSIFIERS, config.cache_dir)


def check_cache_folder(kind: str, cache_dir: Path | None) -> None:
    """OutputError unless the cache folder of `kind` can be written, with the way to run without it."""
    try:
        check_output_folder(cache_folder(kind, cache_dir), f"{kind} cache ({cache_home_source(cache_dir)})")
    except OutputError as exc:
        raise OutputError(f"{exc}; pass --no-cache to run without the cache") from None


def make_encoder(adapter: ImageTextModel, config: RunConfig) -> Encoder:
    """The encoder `config` describes, on this rank's device and in its group (one process: rank 0 of 1).

    Its embedding cache is checked here, before any encoding (every rank writes its own batches): a read-only
    --cache-dir, or a file given as one, would otherwise fail after the first encoded batch.
    """
    if config.cache:
        check_cache_folder(EMBEDDINGS, config.cache_dir)
    device = resolve_device(config.device)
    group = join(device)
    settings = RunSettings.resolve(group.place(device), config.precision, config.batch_size, config.workers,
                                   config.decode, resolved=True)
    return Encoder(adapter, settings, progress=config.progress, skip_bad_images=config.skip_bad_images,
                   trim=config.trim, group=group, cache=EmbeddingCache(config.cache_dir) if config.cache else None)


def check_templates(templates: str | None, datasets: Sequence[Dataset]) -> None:
    """`--templates` checked against every zero-shot task before anything is encoded or written.

    Given with no zero-shot task selected it is an error: it would be silently ignored.
    """
    if templates is None:
        return
    zero_shot = [d for d in datasets if isinstance(d, ClassificationDataset)]
    if not zero_shot:
        raise DataError(f"--templates {templates}: prompt templates are used by zero-shot tasks only, and none of "
                        f"the selected tasks is one (see `longbench tasks`)")
    for dataset in zero_shot:
        resolve_prompts(templates, dataset.task, dataset.classnames, default=dataset.default_prompts)


def _load(task: Task, config: RunConfig) -> tuple[Dataset, float]:
    start = time.perf_counter()
    root = task.root(config.data_root, config.roots)
    dataset = task.load(root, LoadOptions(limit=config.limit, skip_bad_images=config.skip_bad_images,
                                          roots=read_roots(task, config.data_root, config.roots)))
    return dataset, time.perf_counter() - start


def build_result(adapter: ImageTextModel, task: Task, dataset: Dataset, evaluation: Evaluation, encoder: Encoder,
                 config: RunConfig) -> Result:
    meta = task.meta
    skipped = [*dataset.skipped, *evaluation.skipped]
    classification = isinstance(dataset, ClassificationDataset)
    n_images = len(dataset.images) - len(evaluation.skipped)
    expected = meta.expected.get("images")
    info = TaskInfo(
        name=meta.name, kind=meta.kind, protocol=meta.protocol, task_version=meta.version, n_images=n_images,
        expected_images=expected,
        subset=config.limit is not None or (expected is not None and n_images != expected),
        n_texts=None if classification else len(dataset.texts) - evaluation.counts.get("captions_of_skipped_images", 0),
        n_classes=len(dataset.classnames) if classification else None,
        fingerprint=dataset.fingerprint, limit=config.limit, prompts=evaluation.prompts,
        warnings=[*task_warnings(task, dataset), *evaluation.warnings],
        counts={**dataset.counts, **evaluation.counts}, skipped=skipped)
    return Result(model=adapter.provenance, task=info, metrics=evaluation.metrics,
                  environment=environment(encoder), timings=evaluation.timings, ci=evaluation.ci,
                  bootstrap={"samples": config.bootstrap, "seed": config.seed} if config.bootstrap else None,
                  truncation=evaluation.truncation, by_length=evaluation.by_length, breakdowns=evaluation.breakdowns)


def task_warnings(task: Task, dataset: Dataset) -> list[str]:
    """What a result (or a probe) warns about its data: the loader's warnings, then the task's own."""
    return [*dataset.warnings, *([task.meta.warning] if task.meta.warning else [])]


def environment(encoder: Encoder) -> dict[str, str | int | None]:
    """Versions, device and dtype, and the batch size, worker count and decoding used (`auto` resolved)."""
    settings = encoder.settings
    device = settings.device_name
    if settings.device_type == "cuda":
        device += f" ({torch.cuda.get_device_name(settings.device)})"
    return {"longbench": __version__, "torch": torch_version(), "open_clip": installed_version(OPEN_CLIP),
            "python": platform.python_version(), "device": device, "dtype": settings.dtype_name,
            "text_batches": "trimmed" if encoder.trims else "full context",
            "embedding_cache": encoder.cache.summary() if encoder.cache else "off", **encoder.used_settings}
