"""The `longbench` command line: parsing and printing only; every command calls one library function.

Each module in this package adds its commands to `app`; they are imported here so a new command is one new file.
"""

from __future__ import annotations

import importlib
import pkgutil

from ._app import app, main

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["app", "main"]
