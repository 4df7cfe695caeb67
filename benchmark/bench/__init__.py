"""`longbench bench`: a generated COCO-5k-like job, run and timed, one section per concern.

Each module in this package registers one section (`@register_section("name")`): a function of the shared
`BenchContext` returning a `Section` (a titled table plus notes). The CLI prints them in registration order;
`--sections` picks some. A new concern is one new module; long sections
(scale, ranks) register as opt-in.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import SECTIONS, BenchConfig, BenchContext, Section, register_section, run_bench

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("base", "child", "job", "search_case"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["SECTIONS", "BenchConfig", "BenchContext", "Section", "register_section", "run_bench"]
