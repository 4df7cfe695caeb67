"""The web leaderboard (`longbench leaderboard --html SITE`): a static, self-contained site drawn from the same
table model as leaderboard.md (board.py).

Layout: index.html (one table per column group), compare.html (two models side by side), models/<model>.html,
tasks/<task>.html and tasks/index.html, assets/ (one stylesheet, one script; no library, no CDN) and files/ (a copy
of every result and probe file, which each number links to). It opens from file:// and can be published as it is.
The pages hold no timestamp, so the same results give the same site byte for byte.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ...errors import DataError
from ..collect import ResultSet
from ..references import ReferenceSource
from .compare import compare_page
from .context import Context
from .index import index_page
from .layout import CSS, JS, MARKER, model_href, site_file, task_href
from .model_page import model_page
from .task_page import task_page, tasks_index
from .writer import check_site_folder, write_site

__all__ = ["build_site", "check_site_folder", "write_site"]


def build_site(results: ResultSet, references: list[ReferenceSource]) -> dict[str, bytes]:
    """Every file of the site, by its path inside the site folder."""
    ctx = Context.build(results, references)
    pages = {"index.html": index_page(ctx), "compare.html": compare_page(ctx), "tasks/index.html": tasks_index(ctx)}
    pages |= {model_href(m): model_page(ctx, m) for m in ctx.models}
    pages |= {task_href(t): task_page(ctx, t) for t in ctx.tasks}
    files = {path: text.encode("utf-8") for path, text in pages.items()}
    assets = resources.files(__name__).joinpath("assets")
    files |= {name: assets.joinpath(name.split("/")[-1]).read_bytes() for name in (CSS, JS)}
    records = [*results.results, *results.probes]
    files |= {f"files/{site_file(r.path)}": _read(r.file) for r in records if r.file is not None}
    files[MARKER] = b"Written by `longbench leaderboard --html`; the next run replaces this folder as a whole.\n"
    return files


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot copy it into the site: {exc.strerror or exc}") from None
