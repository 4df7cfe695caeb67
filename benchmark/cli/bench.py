"""`longbench bench`: time a generated COCO-5k-like job stage by stage (benchmark/bench/)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import DataError
from ._app import app, console, err_console, friendly_errors
from .run import BATCH_HELP, DECODE_HELP, WORKERS_HELP

if TYPE_CHECKING:
    from ..bench import Section


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    try:
        return int(width), int(height if sep else width)
    except ValueError:
        raise DataError(f"--image-size {text!r}: expected WIDTHxHEIGHT, e.g. 640x480") from None


def parse_case(text: str) -> tuple[int, int]:
    queries, sep, gallery = text.lower().partition("x")
    try:
        return int(queries), int(gallery if sep else "")
    except ValueError:
        raise DataError(f"--scale-cases {text!r}: expected QUERIESxGALLERY, e.g. 10000x5000") from None


def split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def print_section(section: Section) -> None:
    table = Table(title=escape(section.title), title_justify="left")
    for i, col in enumerate(section.columns):
        left = i == 0 or col in ("what", "note", "how", "settings", "index")
        table.add_column(col, justify="left" if left else "right")
    for row in section.rows:
        table.add_row(*(escape(cell) for cell in row))
    if section.rows:
        console.print(table)
    else:
        console.print(f"[bold]{escape(section.title)}[/]", highlight=False)
    for note in section.notes:
        console.print(f"  {escape(note)}", highlight=False)


@app.command("bench")
@friendly_errors
def bench_command(
    model: str = typer.Option("ViT-B-16", "--model", "-m", help="An open_clip architecture (random weights, saved "
                              "as a checkpoint) or a longbench model name, e.g. tiny-clip for a quick run."),
    images: int = typer.Option(5000, help="Images in the generated job."),
    captions_per_image: int = typer.Option(5, help="Captions per image."),
    image_size: str = typer.Option("640x480", help="WIDTHxHEIGHT of the generated JPEGs."),
    sections: str = typer.Option(None, help="Comma-separated sections (default: stages, throughput, text, cache, "
                                 "peer; small (fixed costs on a 40-image job), scale and ranks only by name; 'all' "
                                 "for every section)."),
    device: str = typer.Option("auto", help="cpu, cuda, cuda:N, mps or auto."),
    batch_size: str = typer.Option("auto", "--batch-size", "-b", help=BATCH_HELP),
    workers: str = typer.Option("auto", help=WORKERS_HELP),
    decode: str = typer.Option("pil", help=DECODE_HELP),
    precision: str = typer.Option("auto", help="auto (fp16 autocast on CUDA, fp32 elsewhere), fp32, fp16, bf16."),
    keep: Path = typer.Option(None, "--keep", help="Write (and reuse) the job in this folder instead of a temp one."),
    scale_cases: str = typer.Option("10000x5000,100000x100000,1000000x100000",
                                    help="Scale section: QUERIESxGALLERY retrieval cases, comma-separated."),
    scale_indexes: str = typer.Option("dense,chunked,faiss", help="Scale section: the indexes each case is ranked "
                                      "with."),
    scale_budget: float = typer.Option(3600, help="Scale section: seconds per case before it is reported unfinished."),
    ranks: int = typer.Option(2, help="Ranks section: torchrun processes, against one process."),
) -> None:
    """Generate a COCO-like job, run it, and print where the time goes (timings are this machine's)."""
    import platform

    import torch

    from ..bench import BenchConfig, run_bench
    from ..data.loader import available_cores, parse_count

    config = BenchConfig(model=model, images=images, captions_per_image=captions_per_image,
                         image_size=parse_size(image_size), device=device,
                         batch_size=parse_count(batch_size, "--batch-size", 1),
                         workers=parse_count(workers, "--workers", 0), decode=decode, precision=precision,
                         sections=split(sections) if sections else None,
                         job_dir=keep, scale_cases=tuple(parse_case(c) for c in split(scale_cases)),
                         scale_indexes=tuple(split(scale_indexes)), scale_budget=scale_budget, ranks=ranks)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA device"
    console.print(f"machine: {available_cores()} cores available, {platform.processor() or platform.machine()}, "
                  f"{gpu}; torch {torch.__version__}", highlight=False)
    run_bench(config, on_section=print_section,
              log=lambda line: err_console.print(f"[dim]{escape(line)}[/]", highlight=False))
