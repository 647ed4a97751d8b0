"""Typed registries: the one way a later app plugs into an earlier one.

An earlier app (adr, risks) declares a :class:`Registry` of a protocol or callable type
and documents its contract next to it; a later app (risks, triggers) adds to it from
its ``AppConfig.ready()``. The earlier app never names the later app or its fields.

Every registry created here is listed in ``ALL``, so a test that registers something of
its own can put everything back with :func:`snapshot` / :func:`restore` (the
``registries`` fixture in ``tests/conftest.py`` does that around every test).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

ALL: list[Registry] = []


class Registry(Generic[T]):
    """An ordered list of extensions of one kind, in registration (= app) order.

    Registering the same object twice is a no-op, so ``ready()`` running twice (as it
    can in tests) never doubles a hook.
    """

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc or name
        self._items: list[T] = []
        ALL.append(self)

    def register(self, item: T) -> T:
        if item not in self._items:
            self._items.append(item)
        return item

    def unregister(self, item: T) -> None:
        if item in self._items:
            self._items.remove(item)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def items(self) -> list[T]:
        return list(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._items)} registered>"


def snapshot() -> dict[int, list]:
    """The contents of every registry, to hand back to :func:`restore`."""
    return {id(reg): list(reg._items) for reg in ALL}


def restore(saved: dict[int, list]) -> None:
    """Put every registry back as :func:`snapshot` found it (new registries emptied)."""
    for reg in ALL:
        reg._items[:] = saved.get(id(reg), [])
