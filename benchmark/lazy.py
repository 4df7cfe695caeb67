"""torch, imported on first use.

A re-run whose embeddings are all cached, a `--skip-existing` run whose results are all present, and the commands
that only read result files need no tensor, and importing torch is most of what they would cost (about 1.1 of 2 s
on a 2-core machine: docs/fixed-costs.md). The modules on those paths name torch through this proxy, so torch is
imported by the first line that uses it, not by the import of a module that might. tests/test_fixed_costs.py runs
those paths in fresh processes and checks that torch stays unimported.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """A module that is imported when one of its attributes is first read."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        # Only reached for names this object lacks: every attribute of the module. After the first import,
        # import_module is a dictionary lookup.
        return getattr(importlib.import_module(self._name), attribute)


torch: Any = LazyModule("torch")
