"""Plots of probe files (`longbench probe`): R@1 against caption length, one model or several overlaid.

Reads probe file contents only (the documents artifacts/probes.py writes and reads). One probe: I2T and T2I curves, each
direction's full-length R@1 (dotted) and effective length (vertical line), and the model's context length. Several:
one colour per probe, solid I2T and dashed T2I, effective lengths as larger markers on each curve. The Agg canvas
is used directly, so no GUI backend and no global pyplot state are touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..artifacts.atomic import atomic_open
from ..artifacts.probes import read_probe_document
from ..errors import DataError
from ..metrics.registry import DIRECTION_LABELS, DIRECTIONS, recall_name

#: Per direction: line style, marker, colour on a one-probe plot.
STYLE = dict(zip(DIRECTIONS, (("-", "o", "C0"), ("--", "s", "C1")), strict=True))


def compare_probes(paths: Sequence[Path], out: Path) -> Path:
    """Overlay the curves of several probe files (one unit) in one PNG."""
    probes = [read_probe_document(p) for p in paths]
    units = sorted({p["unit"] for p in probes})
    if len(units) > 1:
        raise DataError(f"cannot overlay probes in different units ({', '.join(units)}): compare one unit at a time")
    return plot_probes(probes, out)


def default_compare_path(paths: Sequence[Path], output: Path) -> Path:
    """`<output>/probe-compare-<task>-<unit>.png` from the first file's name (`probe-<task>-<unit>.json`)."""
    return Path(output) / f"{Path(paths[0]).stem.replace('probe-', 'probe-compare-', 1)}.png"


def plot_probes(probes: Sequence[dict[str, Any]], out: Path) -> Path:
    """Write R@1 against length for one probe (detailed) or several (overlaid) as a PNG at `out`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = [f"C{i % 10}" for i in range(len(probes))]
    if len(probes) == 1:
        _single(ax, probes[0])
    else:
        for probe, colour in zip(probes, colours, strict=True):
            _overlaid(ax, probe, colour, several_tasks=len({p["task"] for p in probes}) > 1)
    _contexts(ax, probes)
    unit = probes[0]["unit"]
    ax.set_xlabel(
        f"caption length ({unit}; SOT and EOT included)"
        if unit == "tokens"
        else "caption length (words, then tokenized at the model's context)"
    )
    ax.set_ylabel("Recall@1 (%)")
    ax.set_title(_title(probes))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _save(fig, Path(out))


def _curve(probe: dict[str, Any], direction: str) -> tuple[list[float], list[float]]:
    points = probe["points"]
    return [p["length"] for p in points], [p[recall_name(direction, 1)] for p in points]


def _single(ax, probe: dict[str, Any]) -> None:
    tol = probe.get("tolerance", 0)
    for d in DIRECTIONS:
        (line, marker, colour), label = STYLE[d], DIRECTION_LABELS[d]
        ax.plot(*_curve(probe, d), line, marker=marker, color=colour, markersize=4, label=label)
        full = probe.get("full", {}).get(recall_name(d, 1))
        if full is not None:
            ax.axhline(full, color=colour, linestyle=":", linewidth=1, label=f"{label} full length {full:.1f}")
        eff = probe["effective_length"][d]
        if eff is not None:
            ax.axvline(
                eff,
                color=colour,
                linestyle="-.",
                linewidth=1,
                label=f"{label} effective length {eff} (within {tol:g} of full)",
            )


def _overlaid(ax, probe: dict[str, Any], colour: str, several_tasks: bool) -> None:
    name = probe["model"]["name"] + (f" [{probe['task']}]" if several_tasks else "")
    for d in DIRECTIONS:
        (line, marker, _), label = STYLE[d], DIRECTION_LABELS[d]
        xs, ys = _curve(probe, d)
        ax.plot(xs, ys, line, marker=marker, color=colour, markersize=3, label=f"{name} {label}")
        eff = probe["effective_length"][d]
        if eff in xs:
            ax.plot([eff], [ys[xs.index(eff)]], marker=marker, color=colour, markersize=10, fillstyle="none")


def _contexts(ax, probes: Sequence[dict[str, Any]]) -> None:
    """A grey line at each model's context length inside the probed range (the words axis shows it too)."""
    longest = max(p["points"][-1]["length"] for p in probes if p["points"])
    for ctx in sorted({p["model"]["context_length"] for p in probes}):
        if ctx <= longest:
            ax.axvline(ctx, color="grey", linestyle="--", linewidth=1, label=f"context {ctx} tokens")


def _title(probes: Sequence[dict[str, Any]]) -> str:
    tasks = ", ".join(dict.fromkeys(p["task"] for p in probes))
    if len(probes) == 1:
        return f"{probes[0]['model']['name']} on {tasks}: R@1 vs caption length ({probes[0]['unit']})"
    return f"Effective text length on {tasks} ({probes[0]['unit']}); circles: effective length"


def _save(fig, out: Path) -> Path:
    """PNG written beside its final name and renamed, so a reader never sees half a file."""
    with atomic_open(out, "wb") as fh:
        fig.savefig(fh, format="png")
    return out
