"""`longbench demo`: the whole pipeline on a fresh machine, with no download at all.

Writes a small sample of every task in its real on-disk format, evaluates two built-in tiny random models on all
of them, probes one, builds the leaderboard and gates one model against the other. The weights are random, so
every number is chance level: the demo shows that the machinery works, not how good a model is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .artifacts.atomic import write_text_atomic
from .artifacts.probes import write_probe
from .probe import probe
from .report import build_leaderboard, gate, load_references, load_results
from .report.probe_plot import plot_probes
from .runner import RunConfig, run
from .tasks import all_tasks

BASELINE, CANDIDATE = "tiny-clip", "tiny-longclip"
#: Images per task sample: enough for R@10 to mean something, small enough for a 2-core minute.
SAMPLE_SIZE = 16

REAL_DATA_COMMANDS = (
    "longbench data status --data-root ~/data",
    "longbench data fetch urban1k --data-root ~/data",
    "longbench run --model longclip-B --tasks long_retrieval --data-root ~/data",
    "longbench run --model clip-B --tasks long_retrieval,short_retrieval,zeroshot --data-root ~/data",
    "longbench probe --model clip-B --task urban1k --data-root ~/data",
    "longbench leaderboard --results results --out leaderboard.md",
    "longbench gate --baseline results/clip-B --candidate results/longclip-B",
)


@dataclass
class DemoReport:
    data_root: Path
    results: Path
    leaderboard: Path
    probe_files: list[Path] = field(default_factory=list)
    result_files: list[Path] = field(default_factory=list)
    gate_exit_code: int = 0
    gate_headline: str = ""


def demo(workdir: Path, progress: bool = False, log: Callable[[str], None] = lambda _: None) -> DemoReport:
    workdir = Path(workdir)
    report = DemoReport(data_root=workdir / "data", results=workdir / "results",
                        leaderboard=workdir / "leaderboard.md")
    for task in all_tasks():
        task.write_sample(task.root(report.data_root), SAMPLE_SIZE, seed=0)
    log(f"sample data for {len(all_tasks())} tasks (real on-disk formats) -> {report.data_root}")

    config = RunConfig(data_root=report.data_root, output=report.results, batch_size=32, device="cpu",
                       progress=progress, cache_dir=workdir / "cache")
    tasks = [task for task in all_tasks() if task.unavailable() is None]
    for task in all_tasks():
        if task.unavailable():
            log(f"skipped {task.meta.name}: {task.unavailable()}")
    for model in (BASELINE, CANDIDATE):
        runs = run(model, tasks, config)
        report.result_files += [r.path for r in runs]
        log(f"run {model} on {len(runs)} tasks -> {report.results / model}")

    measured = probe(CANDIDATE, "urban1k", config, unit="tokens")
    files = write_probe(measured, report.results)
    plot_probes([measured.to_dict()], files.png)
    report.probe_files = [files.json, files.csv, files.png]
    log(f"probe {CANDIDATE} on urban1k -> {files.json.name}, {files.csv.name}, {files.png.name}")

    results = load_results(report.results)
    write_text_atomic(report.leaderboard, build_leaderboard(results, load_references()))
    log(f"leaderboard -> {report.leaderboard}")

    verdict = gate(load_results(report.results / BASELINE), load_results(report.results / CANDIDATE), 1.0)
    report.gate_exit_code, report.gate_headline = verdict.exit_code, verdict.headline
    log(f"gate {CANDIDATE} against {BASELINE}: {verdict.headline} (exit code {verdict.exit_code})")
    return report
