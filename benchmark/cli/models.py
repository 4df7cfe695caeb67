"""`longbench models`, `embed` and `stretch`: list, try and stretch model adapters.

Library modules are imported inside the commands: torch and open_clip load only for commands that use them.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ._app import app, console, friendly_errors

MODEL_HELP = ("Registry name (see `longbench models`), open_clip:ARCH@TAG, hf-hub:ORG/REPO, local-dir:PATH, a model "
              "folder, stretched:NAME, a transformers checkpoint hf:ORG/REPO[@REV] / hf:FOLDER, or a TULIP / LoTLIP "
              "checkpoint with --checkpoint: tulip:ARCH@TAG[#rope|cope|learnable][+lit], lotlip:ViT-B-16|ViT-B-32.")
NAME_HELP = "File the results under this model name (default: the model name, or the checkpoint's file stem)."
INDEX_HELP = ("Retrieval ranking: dense (every rank), chunked or faiss (top-10 search in bounded memory; same "
              "recalls), auto (dense up to 2^30 image-caption pairs, faiss above).")
TRUST_HELP = ("Allow an hf: checkpoint pinned to a commit (hf:ORG/REPO@<40-hex>) to run its repository's own code "
              "(FG-CLIP, FG-CLIP 2). Off by default.")
CHECKPOINT_HELP = "A checkpoint file (OpenAI/open_clip/Long-CLIP state dict or .safetensors); format auto-detected."


@app.command()
@friendly_errors
def models() -> None:
    """List the registered models: backend, context, resolution, licence, where the weights come from, whether
    they are here (or why a model cannot be loaded)."""
    from ..adapters import MODELS
    from ..report.tables import fit, name_column

    names = [name for name, _ in MODELS.items()]
    table = Table(title="registered models")
    name_column(table, "name", names)
    for col in ("backend", "context", "res", "licence", "weights from", "here"):
        table.add_column(col, overflow="fold")
    for name, spec in MODELS.items():
        table.add_row(name, spec.backend, str(spec.context_length), str(spec.resolution or "-"), spec.licence or "-",
                      spec.weights_source, _presence(spec))
    console.print(fit(table, console.width, names, ("weights from", "res", "backend", "licence", "context")))
    for name, spec in MODELS.items():
        if spec.unavailable:
            what = "" if spec.opt_in else "not loadable: "  # an opt-in entry's text says how to run it, and the flag
            console.print(f"{name}: {what}{spec.unavailable}", highlight=False)
    console.print("Also: open_clip:ARCH@TAG (any open_clip pretrained pair), hf-hub:ORG/REPO or local-dir:PATH (an "
                  "open_clip_config.json model; a plain folder path works too), hf:ORG/REPO[@REV] or hf:FOLDER (a "
                  "transformers checkpoint), stretched:NAME / stretched-linear:NAME (stretch on the fly), "
                  "tulip:ARCH@TAG[#VARIANT] or lotlip:ARCH with --checkpoint FILE (docs/baselines.md), or "
                  "--checkpoint FILE alone.", highlight=False)


def _presence(spec) -> str:
    from ..adapters.backends.remote.loading import FLAG

    if spec.build:
        return "[green]built in[/]"
    if spec.unavailable:
        return f"[yellow]opt-in ({FLAG})[/]" if spec.opt_in else "[yellow]not loadable[/]"
    path = spec.local_path()
    return f"[green]{path}[/]" if path else "[red]missing[/]"


@app.command("embed")
@friendly_errors
def embed_command(
    model: str = typer.Option(None, "--model", "-m", help=MODEL_HELP),
    checkpoint: Path = typer.Option(None, "--checkpoint", "-c", help=CHECKPOINT_HELP),
    text: list[str] = typer.Option([], "--text", "-t", help="A caption to embed (repeatable)."),
    image: list[Path] = typer.Option([], "--image", "-i", help="An image file to embed (repeatable)."),
    out: Path = typer.Option(None, "--out", "-o", help="Save the vectors as .npy instead of printing them."),
    device: str = typer.Option("auto", help="cpu, cuda, cuda:N, mps or auto."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help=TRUST_HELP),
) -> None:
    """Embed captions and/or images: one float32 row per input, texts first, then images."""
    import numpy as np

    from ..adapters import load_model
    from ..artifacts.outputs import check_output_file
    from ..embed import embed, save_vectors

    if out:
        check_output_file(out, "--out")
    adapter = load_model(model, checkpoint, trust_remote_code=trust_remote_code)
    vectors, text_emb = embed(adapter, text, image, device)
    p = adapter.provenance
    console.print(f"{p.name}: {p.architecture}, context {p.context_length}, positions {p.pos_embed_kind}",
                  highlight=False)
    if text_emb is not None and text_emb.truncated.any():
        console.print(f"[yellow]{int(text_emb.truncated.sum())} caption(s) truncated to {p.context_length} tokens[/]")
    if out:
        console.print(f"wrote {vectors.shape[0]} x {vectors.shape[1]} float32 to {save_vectors(vectors, out)}")
        return
    with np.printoptions(precision=6, suppress=True, threshold=np.inf, linewidth=120):
        for label, row in zip([*text, *map(str, image)], vectors, strict=True):
            console.print(f"[bold]{label[:60]}[/]", highlight=False)
            print(row)


@app.command()
@friendly_errors
def stretch(
    out: Path = typer.Option(..., "--out", "-o", help="Output file (.pt: Long-CLIP state dict; or .safetensors)."),
    model: str = typer.Option(None, "--model", "-m", help="A 77-token model to stretch, e.g. clip-B."),
    checkpoint: Path = typer.Option(None, "--checkpoint", "-c", help=CHECKPOINT_HELP),
    method: str = typer.Option("kps", help="kps (knowledge-preserved stretching) or linear (plain interpolation)."),
    keep: int = typer.Option(20, help="Positions kept unchanged (kps)."),
    ratio: int = typer.Option(4, help="New positions per old position past --keep."),
) -> None:
    """Stretch a 77-token model's positional table (KPS, Long-CLIP's method) into a Long-CLIP-format checkpoint."""
    from ..stretching import stretch_checkpoint

    path = stretch_checkpoint(model, checkpoint, out, method, keep, ratio)
    console.print(f"wrote {method}-stretched checkpoint ({keep} + (77 - {keep}) x {ratio} = "
                  f"{keep + (77 - keep) * ratio} positions) to {path}", highlight=False)
