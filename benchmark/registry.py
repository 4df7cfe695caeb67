"""A small name -> object registry with close-name suggestions (used for models, tasks and prompt sets).

A registry may be filled on first use (`fill_on_first_use`): its entries are registered by modules that are costly
to import (the model backends import torch's vision and text libraries), imported only when a name is looked up.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._fill: Callable[[], object] | None = None

    def fill_on_first_use(self, fill: Callable[[], object]) -> None:
        """Call `fill` (which registers the entries) before the first lookup, listing or membership test."""
        self._fill = fill

    @property
    def _items(self) -> dict[str, T]:
        fill, self._fill = self._fill, None  # cleared first: `fill` adds entries, and may look some up
        if fill is not None:
            fill()
        return self._entries

    def add(self, name: str, item: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = item
        return item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form: `@REGISTRY.register("name")`."""
        return lambda item: self.add(name, item)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        same_but_case = [n for n in self._items if n.lower() == name.lower()]
        close = list(dict.fromkeys(same_but_case + difflib.get_close_matches(name, list(self._items), n=3, cutoff=0.5)))
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"unknown {self.kind} {name!r}{hint} (known: {', '.join(sorted(self._items))})"

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())
