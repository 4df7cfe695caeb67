"""A second run of the same job in a new process: warm (files in the OS cache, and the embedding cache where there is
one) against the first, cold run."""

from __future__ import annotations

from .base import BenchContext, Section, register_section


@register_section("cache", order=30)
def cache(ctx: BenchContext) -> Section:
    cold = ctx.cold()
    warm = ctx.run_child(ctx.job.root.parent / "results-warm")
    same = warm.result["metrics"] == cold.result["metrics"]
    rows = [("cold", f"{cold.wall:.2f}", "100", "first run, empty cache folder"),
            ("warm", f"{warm.wall:.2f}", f"{100 * warm.wall / cold.wall:.0f}", "same job again, new process")]
    for stage in ("encode_images", "encode_texts"):
        rows.append((f"  {stage}", f"{cold.timings[stage]:.2f} -> {warm.timings[stage]:.2f}", "", ""))
    return Section("warm against cold", ("run", "seconds", "% of cold", "note"), rows,
                   [f"metrics identical: {'yes' if same else 'NO'}"])
