"""longbench: evaluation of CLIP-style image-text models, with a focus on long text.

The library behind the CLI: `longbench.run(model, tasks, RunConfig(...))`, `longbench.load_model(name)`, and
`longbench.probe.probe(...)`. They are imported on first use, so `import longbench` stays cheap.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from . import startup  # noqa: F401 -- first, so that its fallback clock starts with longbench's import

try:
    __version__ = version("longbench")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

_LAZY = {"run": "runner", "RunConfig": "runner", "load_model": "adapters"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
