"""`longbench run` and `longbench tasks`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ..artifacts.results import Result
from ..errors import DataError
from ..metrics.registry import is_metric, metric, metric_order
from ..tasks import GROUPS, all_tasks
from ..terminal_tables import fit, name_column
from ._app import app, console, friendly_errors
from .cache import CACHE_DIR_HELP, NO_CACHE_HELP
from .models import CHECKPOINT_HELP, INDEX_HELP, MODEL_HELP, NAME_HELP, TRUST_HELP

if TYPE_CHECKING:
    from ..runner import TaskRun

NO_TRIM_HELP = "Pad every text batch to the model's full context (the reference path; same metrics, slower)."
BATCH_HELP = "Images/captions per batch, or auto (256 on CUDA, 128 on MPS, 64 on CPU)."
WORKERS_HELP = ("Image decoding processes, or auto (a share of the cores; 0 on <= 2 cores or under 256 images). "
                "0 decodes in the main process.")
DECODE_HELP = ("Image decoding: pil (the reference), tensor (torchvision decode + tensor transforms on the CPU) or "
               "gpu (nvjpeg + transforms on CUDA). tensor/gpu are faster and not bit-identical to pil.")
RECALL_K_HELP = ("The Ks of Recall@K for retrieval tasks, comma-separated (MRR, nDCG@10 and the median rank are "
                 "always reported).")
STATE_STYLE = {"found": "green", "incomplete": "yellow", "missing": "red"}


def parse_roots(values: list[str]) -> dict[str, Path]:
    """`--root urban1k=/data/Urban1k` (repeatable) -> {"urban1k": Path(...)}."""
    roots = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise DataError(f"--root {value!r}: expected TASK=PATH, e.g. --root urban1k=/data/Urban1k")
        roots[name.strip()] = Path(path)
    return roots


def _metrics_line(result: Result) -> str:
    ci = result.ci
    cells = []
    for name, value in result.metrics.items():
        interval = f" [{ci[name][0]:.1f}, {ci[name][1]:.1f}]" if name in ci else ""
        cells.append(f"{name} {value:.2f}{interval}")
    return ", ".join(cells)


def print_results(runs: list[TaskRun]) -> None:
    retrieval = [r for r in runs if r.result.kind == "retrieval"]
    other = [r for r in runs if r.result.kind != "retrieval"]
    several = len({r.result.model.name for r in runs}) > 1
    if retrieval:
        # Recall@K here; MRR, nDCG@10 and the median rank are in the result files (and `longbench results`).
        names = metric_order({m for r in retrieval for m in r.result.metrics if is_metric(m) and metric(m).k})
        models, tasks = [r.result.model.name for r in retrieval], [r.result.task.name for r in retrieval]
        table = Table(title="retrieval (Recall@K, %)")
        if several:
            name_column(table, "model", models)
        name_column(table, "task", tasks)
        for col in ("images", "texts", *names, "truncated"):
            table.add_column(col, justify="right", no_wrap=True)
        for r in retrieval:
            res = r.result
            trunc = res.truncation
            table.add_row(*[res.model.name] * several, res.task.name, str(res.task.n_images), str(res.task.n_texts),
                          *(f"{res.metrics[m]:.2f}" if m in res.metrics else "-" for m in names),
                          f"{trunc.n_truncated}" if trunc else "-")
        # Recall@1 stays longest: the other columns go first when the terminal is narrow.
        droppable = ["truncated", "texts", "images", *(m for m in reversed(names) if metric(m).k != 1)]
        console.print(fit(table, console.width, [*models, *tasks] if several else tasks, droppable))
    for r in other:
        name = f"{r.result.model.name} {r.task}" if several else r.task
        console.print(f"[bold]{escape(name)}[/]: {escape(_metrics_line(r.result))}", highlight=False)
    for r in runs:
        for warning in r.result.task.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        if r.kept is not None:
            console.print(f"[yellow]warning:[/] kept {escape(str(r.kept))} ({escape(r.kept_reason or '')}); this "
                          "result was written beside it", highlight=False)
        console.print(f"kept {escape(str(r.path))} (up to date)" if r.reused else f"wrote {escape(str(r.path))}",
                      highlight=False)


@app.command("run")
@friendly_errors
def run_command(
    tasks: str = typer.Option(..., "--tasks", "-t", help="Tasks or groups, comma-separated (see `longbench tasks`)."),
    model: list[str] = typer.Option([], "--model", "-m", help=MODEL_HELP + " Repeat to evaluate several in turn."),
    checkpoint: list[str] = typer.Option([], "--checkpoint", "-c", help=CHECKPOINT_HELP + " Repeat, or quote a "
                                         "glob ('ckpts/*.pt'), to evaluate each in turn under its file stem."),
    name: str = typer.Option(None, "--name", help=NAME_HELP),
    data_root: Path = typer.Option(None, "--data-root", "-d", help="Folder holding the datasets' default layouts."),
    root: list[str] = typer.Option([], "--root", help="TASK=PATH: a task's folder given on its own (repeatable)."),
    output: Path = typer.Option(Path("results"), "--output", "-o", help="Result folder: <output>/<model>/<task>.json"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing results even when measured on more "
                                   "images or other weights, task version or protocol (kept by default)."),
    batch_size: str = typer.Option("auto", "--batch-size", "-b", help=BATCH_HELP),
    device: str = typer.Option("auto", help="cpu, cuda, cuda:N, mps or auto."),
    workers: str = typer.Option("auto", help=WORKERS_HELP),
    decode: str = typer.Option("pil", help=DECODE_HELP),
    precision: str = typer.Option("auto", help="auto (fp16 autocast on CUDA, fp32 elsewhere), fp32, fp16, bf16."),
    limit: int = typer.Option(None, help="Evaluate the first N images only (smoke runs; recorded in the result)."),
    skip_bad_images: bool = typer.Option(False, "--skip-bad-images", help="Skip undecodable/missing images."),
    bootstrap: int = typer.Option(0, help="Bootstrap samples for 95% confidence intervals (0 = off)."),
    seed: int = typer.Option(0, help="Seed for bootstrap and sampling."),
    templates: str = typer.Option(None, help="Zero-shot prompt set: imagenet80, clip, or a JSON file."),
    index: str = typer.Option("auto", help=INDEX_HELP),
    recall_k: str = typer.Option("1,5,10", "--recall-k", help=RECALL_K_HELP),
    gate: Path = typer.Option(None, "--gate", help="Baseline results (file or folder) to gate this run against."),
    tolerance: float = typer.Option(1.0, help="With --gate: allowed drop per metric, in points."),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="Keep a task's result file when it was made "
                                       "from the same checkpoint, task version and data."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help=TRUST_HELP),
    cache_dir: Path = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
    no_trim: bool = typer.Option(False, "--no-trim", help=NO_TRIM_HELP),
) -> None:
    """Evaluate models on tasks and write one result JSON per model and task."""
    from ..distributed import current
    from ..runner import RunConfig, model_specs, run_models
    from ..startup import process_age

    if gate is not None:  # a bad tolerance must fail now, not after the evaluation
        from ..report.gate import check_tolerance

        check_tolerance(tolerance)
    config = RunConfig(data_root=data_root, roots=parse_roots(root), output=output,
                       batch_size=batch_size, device=device,
                       workers=workers, decode=decode, precision=precision, limit=limit,
                       skip_bad_images=skip_bad_images, bootstrap=bootstrap, seed=seed, templates=templates,
                       progress=not quiet, index=index, trust_remote_code=trust_remote_code,
                       cache_dir=cache_dir, cache=not no_cache, trim=not no_trim,
                       overwrite=overwrite, recall_ks=recall_k, startup=process_age())
    runs = run_models(model_specs(model, checkpoint, name), tasks, config, skip_existing=skip_existing)
    if not current().main:  # torchrun: rank 0 prints, writes and gates
        return
    print_results(runs)
    if gate is not None:
        from .report import gate_runs

        raise typer.Exit(gate_runs(gate, [r.path for r in runs], tolerance))


def _counts(found: dict[str, int], expected: dict[str, int]) -> str:
    return ", ".join(f"{found.get(k, 0)}/{v} {k}" for k, v in expected.items())


@app.command("tasks")
@friendly_errors
def tasks_command(
    data_root: Path = typer.Option(None, "--data-root", "-d", help="Check which tasks' files are present here, and "
                                   "measure their truncation profiles from them."),
) -> None:
    """List tasks, groups, protocols (whose paper each follows), licences, truncation profiles and files present."""
    from ..truncation_profile import truncation_profile

    names = [task.meta.name for task in all_tasks()]
    table = Table(title="tasks")
    name_column(table, "task", names)
    for col, ratio in (("kind", 1), ("groups", 1), ("protocol", 3), ("licence", 1),
                       ("captions > 77 / > 248 tokens", 1), ("files", 1)):
        table.add_column(col, ratio=ratio, overflow="fold")
    for task in all_tasks():
        meta = task.meta
        present, root = "-", None
        if data_root is not None:
            root = task.root(data_root)
            status = task.checked_status(root)
            present = f"[{STATE_STYLE[status.state]}]{status.state}[/] {_counts(status.found, status.expected)}"
            if status.state == "incomplete" and status.detail:
                present += f"\n{escape(status.detail)}"
        profile = truncation_profile(task, root).describe() if meta.kind == "retrieval" else "-"
        table.add_row(meta.name, meta.kind, ", ".join(meta.groups), escape(meta.protocol), escape(meta.licence),
                      profile, present)
    droppable = ("licence", "groups", "kind", "captions > 77 / > 248 tokens", "protocol")
    console.print(fit(table, console.width, names, droppable if data_root is not None else (*droppable, "files")))
    console.print("Layouts and downloads: `longbench data status`.")
    for group, names in sorted(GROUPS.items()):
        console.print(f"group [bold]{group}[/] = {', '.join(names)}", highlight=False)
