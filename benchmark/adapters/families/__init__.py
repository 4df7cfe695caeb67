"""Registry entries, one module per model family: each calls `register_model` and nothing more. Every module here
is imported, so a family is added by adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
