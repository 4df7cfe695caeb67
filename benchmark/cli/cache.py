"""`longbench cache info|clear`: the embedding cache's size, and deleting it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ._app import app, console, friendly_errors

CACHE_DIR_HELP = ("Cache home (weights/, embeddings/, classifiers/); default $LONGBENCH_CACHE, else "
                  "$XDG_CACHE_HOME/longbench, else ~/.cache/longbench.")
NO_CACHE_HELP = "Encode everything afresh: no cached embeddings or classifiers are read or written."

cache_app = typer.Typer(help="The embedding cache: info, clear.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


def _describe(info) -> str:
    return ", ".join(f"{kind} {info.files[kind]} batches ({info.bytes[kind] / 1e6:.1f} MB)" for kind in info.files)


@cache_app.command("info")
@friendly_errors
def info_command(cache_dir: Path = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP)) -> None:
    """Where the embedding cache is and how much it holds."""
    from ..cache_home import cache_home, cache_home_source
    from ..embedding_cache import cache_info

    info = cache_info(cache_dir)
    console.print(f"cache home {escape(str(cache_home(cache_dir)))} ({escape(cache_home_source(cache_dir))})",
                  highlight=False)
    console.print(f"{escape(str(info.root))}: {_describe(info)}", highlight=False)


@cache_app.command("clear")
@friendly_errors
def clear_command(cache_dir: Path = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP)) -> None:
    """Delete every cached embedding (classifiers, weights and files longbench did not write are left alone)."""
    from ..embedding_cache import clear_cache
    from ..errors import OutputError

    cleared = clear_cache(cache_dir)
    console.print(f"deleted under {escape(str(cleared.root))}: {_describe(cleared)}", highlight=False)
    if cleared.failed:
        path, why = cleared.failed[0]
        raise OutputError(f"{len(cleared.failed)} cache file(s) could not be deleted (first: {path}: {why})")
