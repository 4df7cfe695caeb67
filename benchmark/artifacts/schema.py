"""Versioned JSON documents: a document kind's current version and the steps that upgrade older files.

Result files and probe files follow one rule: an older file is upgraded when read, never refused (each step turns
version N into N + 1, and the steps run in turn up to the current version); a file of a newer version than this
longbench knows is refused with a SchemaError naming it, as is one without a version number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SchemaError

Document = dict[str, Any]


@dataclass(frozen=True)
class DocumentSchema:
    #: What the document is, for messages ("result", "probe").
    what: str
    version: int
    #: version N -> the function that turns a version-N document into version N + 1.
    upgrades: dict[int, Callable[[Document], Document]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [n for n in range(1, self.version) if n not in self.upgrades]
        if missing:
            raise ValueError(f"{self.what} schema {self.version}: no upgrade step from version(s) {missing}")

    def upgrade(self, data: Document, source: str = "<dict>") -> Document:
        """`data` (a document of any version this longbench knows) as a current-version document."""
        version = data.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise SchemaError(f"{source}: {self.what} schema_version {version!r} is not a version number")
        if version > self.version:
            known = f"versions 1 to {self.version}" if self.version > 1 else "version 1"
            raise SchemaError(
                f"{source}: {self.what} schema_version {version} was written by a newer longbench "
                f"(this one reads {known}); upgrade longbench to read it"
            )
        for step in range(version, self.version):
            data = {**self.upgrades[step](data), "schema_version": step + 1}
        return data
