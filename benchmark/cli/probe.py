"""`longbench probe`: the effective-token-length probe, and `--compare` to overlay several probes' curves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import DataError
from ..metrics.registry import DEFAULT_KS, DIRECTION_LABELS, DIRECTIONS, recall_name
from ._app import app, console, friendly_errors
from .cache import CACHE_DIR_HELP, NO_CACHE_HELP
from .models import CHECKPOINT_HELP, INDEX_HELP, MODEL_HELP, NAME_HELP, TRUST_HELP
from .run import BATCH_HELP, DECODE_HELP, NO_TRIM_HELP, WORKERS_HELP, parse_roots

if TYPE_CHECKING:
    from ..artifacts.probes import ProbeResult

LengthsOption = Annotated[str, typer.Option(help="Comma-separated lengths, or auto (5 .. min(context, longest)).")]
OutputOption = Annotated[Path, typer.Option("--output", "-o", help="Writes <output>/<model>/probe-<task>-<unit>.*")]
COLUMNS = tuple(recall_name(d, k) for d in DIRECTIONS for k in DEFAULT_KS)


def print_probe(result: ProbeResult) -> None:
    table = Table(title=f"{result.model.name} on {result.task}: Recall@K (%) with captions cut to N {result.unit}")
    for col in ("N", *COLUMNS, "cut", "mean tokens"):
        table.add_column(col, justify="right")
    for p in result.points:
        table.add_row(str(p["length"]), *(f"{p[c]:.2f}" for c in COLUMNS), str(p["n_cut"]), f"{p['mean_tokens']:.1f}")
    table.add_row("full", *(f"{result.full[c]:.2f}" for c in COLUMNS), "-", "-", style="bold")
    console.print(table)
    ci = result.effective_length_ci or {}
    for d, label in DIRECTION_LABELS.items():
        interval = f" (95% bootstrap {ci[d][0]}..{ci[d][1]})" if d in ci else ""
        console.print(f"{label}: effective length {result.effective_length[d]}{interval}, plateau length "
                      f"{result.plateau_length[d]} {result.unit} (tolerance {result.tolerance:g} R@1 points)",
                      highlight=False)


@app.command("probe")
@friendly_errors
def probe_command(
    files: Annotated[list[Path] | None, typer.Argument(help="With --compare: probe JSON files to overlay.")] = None,
    compare: Annotated[bool, typer.Option("--compare", help="Overlay the probe files given as arguments.")] = False,
    plot_out: Annotated[Path | None, typer.Option("--plot-out", help="With --compare: the PNG to write "
                                                  "(default <output>/probe-compare-<task>-<unit>.png).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help=MODEL_HELP)] = None,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", "-c", help=CHECKPOINT_HELP)] = None,
    name: Annotated[str | None, typer.Option("--name", help=NAME_HELP)] = None,
    task: Annotated[str | None, typer.Option("--task", "-t", help="A 1:1 retrieval task (urban1k, ...).")] = None,
    data_root: Annotated[Path | None, typer.Option("--data-root", "-d", help="Folder holding the datasets.")] = None,
    root: Annotated[list[str] | None, typer.Option("--root", help="TASK=PATH: the task's folder on its own.")] = None,
    unit: Annotated[str, typer.Option(help="tokens (SOT + N-2 tokens + EOT) or words (first N words).")] = "tokens",
    lengths: LengthsOption = "auto",
    tolerance: Annotated[float, typer.Option(help="Effective length: R@1 within this many points of full.")] = 1.0,
    output: OutputOption = Path("results"),
    bootstrap: Annotated[int, typer.Option(help="Bootstrap samples for the effective length's 95% interval.")] = 0,
    seed: Annotated[int, typer.Option(help="Seed for the bootstrap.")] = 0,
    batch_size: Annotated[str, typer.Option("--batch-size", "-b", help=BATCH_HELP)] = "auto",
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N, mps or auto.")] = "auto",
    workers: Annotated[str, typer.Option(help=WORKERS_HELP)] = "auto",
    decode: Annotated[str, typer.Option(help=DECODE_HELP)] = "pil",
    precision: Annotated[str, typer.Option(help="auto (fp16 autocast on CUDA, fp32 elsewhere), fp32, fp16, bf16.")
                         ] = "auto",
    limit: Annotated[int | None, typer.Option(help="Probe the first N images only (recorded in the file).")] = None,
    skip_bad_images: Annotated[bool, typer.Option("--skip-bad-images", help="Skip undecodable/missing images.")
                               ] = False,
    index: Annotated[str, typer.Option(help=INDEX_HELP)] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    trust_remote_code: Annotated[bool, typer.Option("--trust-remote-code", help=TRUST_HELP)] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_DIR_HELP)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help=NO_CACHE_HELP)] = False,
    no_trim: Annotated[bool, typer.Option("--no-trim", help=NO_TRIM_HELP)] = False,
) -> None:
    """R@1 against caption length (tokens or words): effective and plateau length, JSON + CSV + PNG."""
    from ..artifacts.outputs import check_output_file, check_output_folder
    from ..artifacts.probes import UNITS, write_probe
    from ..distributed import current
    from ..probe import parse_lengths, probe
    from ..report.probe_plot import compare_probes, default_compare_path, plot_probes
    from ..runner import RunConfig

    if compare:
        if len(files or []) < 1:
            raise DataError("--compare needs probe JSON files as arguments, e.g. results/*/probe-urban1k-tokens.json")
        out = compare_probes(files, check_output_file(plot_out or default_compare_path(files, output), "--plot-out"))
        console.print(f"wrote {escape(str(out))}", highlight=False)
        return
    if files:
        raise DataError(f"unexpected argument {files[0]} (probe files are only read with --compare)")
    if task is None:
        raise DataError("--task is required (a 1:1 retrieval task such as urban1k or sharegpt4v-1k)")
    if unit not in UNITS:
        raise DataError(f"--unit {unit!r}: expected one of {', '.join(UNITS)}")
    if current().main:  # rank 0 writes
        check_output_folder(output, "--output")
    config = RunConfig(data_root=data_root, roots=parse_roots(root or []), output=output,
                       batch_size=batch_size, device=device,
                       workers=workers, decode=decode, precision=precision, limit=limit,
                       skip_bad_images=skip_bad_images, bootstrap=bootstrap, seed=seed, progress=not quiet,
                       index=index, trust_remote_code=trust_remote_code,
                       cache_dir=cache_dir, cache=not no_cache, trim=not no_trim)
    result = probe(model, task, config, unit=unit, lengths=parse_lengths(lengths), tolerance=tolerance,
                   checkpoint=checkpoint, label=name)
    if not current().main:  # torchrun: rank 0 prints and writes
        return
    print_probe(result)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    written = write_probe(result, output)
    plot_probes([result.to_dict()], written.png)
    for path in (written.json, written.csv, written.png):
        console.print(f"wrote {escape(str(path))}", highlight=False)
