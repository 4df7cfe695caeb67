"""Named models (`clip-B`, `longclip-L`, ...) and name prefixes (`open_clip:ARCH@TAG`, `stretched:clip-B`).

A model is added by adding one module to this package that calls `register_model(ModelSpec(...))`; a family of
names resolved by pattern registers a prefix with `register_prefix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..registry import Registry
from .weights import local_weights

if TYPE_CHECKING:
    from .base import ClipAdapter


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    architecture: str
    context_length: int
    hf_repo: str | None = None
    hf_filename: str | None = None
    #: File name looked up in the weights folder ($LONGBENCH_WEIGHTS).
    local_filename: str | None = None
    #: For models whose weights are made in code (the tiny random models): builds the adapter directly.
    build: Callable[[ModelSpec], ClipAdapter] | None = None

    @property
    def weights_source(self) -> str:
        if self.build:
            return "built in (random weights)"
        return f"hf://{self.hf_repo}/{self.hf_filename}"

    def local_path(self) -> Path | None:
        """The weights file on this machine, or None (always None for built-in models, which need none)."""
        if self.build or not self.local_filename:
            return None
        return local_weights(self.local_filename, self.hf_repo, self.hf_filename)


#: A prefix resolver gets the text after `prefix:` and the optional --checkpoint path.
PrefixResolver = Callable[[str, "Path | None"], "ClipAdapter"]

MODELS: Registry[ModelSpec] = Registry("model")
PREFIXES: Registry[PrefixResolver] = Registry("model prefix")


def register_model(spec: ModelSpec) -> ModelSpec:
    return MODELS.add(spec.name, spec)


def register_prefix(prefix: str) -> Callable[[PrefixResolver], PrefixResolver]:
    return PREFIXES.register(prefix)
