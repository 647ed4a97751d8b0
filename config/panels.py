"""Panels: how a later app adds a part to an earlier app's page without the earlier app
naming it.

An earlier app declares a ``Registry[Panel]`` per slot of a page (for example the
decision page's "related" slot in adr). A later app registers a :class:`Panel` from its
``AppConfig.ready()``: the template it renders, the prefetches the page's selector adds
so the panel costs no query per row, and an optional function that adds context.

The page's template renders a slot with ``{% render_panels registry obj %}``
(``config/templatetags/panels.py``); the page's selector applies
:func:`prefetches` of the same registry to its queryset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from config.registry import Registry


@dataclass(frozen=True)
class Panel:
    """One contribution to a page slot.

    - ``key``: stable id (used as the HTML id and in the page's table of contents);
    - ``title``: heading shown in the table of contents ("" for inline parts);
    - ``template``: rendered with ``obj``, ``user``, ``request`` and ``extra``;
    - ``prefetch``: lookups (strings or ``Prefetch``) the page's selector adds;
    - ``extra``: ``extra(obj=..., user=...) -> dict`` for anything the template needs
      beyond the prefetched relations; it must not run a query per row;
    - ``order``: lower first.
    """

    key: str
    template: str
    title: str = ""
    prefetch: tuple[str | Prefetch, ...] = ()
    extra: Callable[..., dict[str, Any]] | None = None
    order: int = 100


@dataclass
class PanelSlot:
    """A named slot of a page: the registry of its panels, in order."""

    name: str
    registry: Registry[Panel] = field(init=False)

    def __post_init__(self) -> None:
        self.registry = Registry[Panel](self.name)

    def register(self, panel: Panel) -> Panel:
        return self.registry.register(panel)

    def panels(self) -> list[Panel]:
        return sorted(self.registry, key=lambda p: (p.order, p.key))


def prefetches(slots: Iterable[PanelSlot]) -> list[str | Prefetch]:
    """Every prefetch the panels of ``slots`` ask for (to add to the page's queryset)."""
    out: list[str | Prefetch] = []
    for slot in slots:
        for panel in slot.panels():
            out.extend(p for p in panel.prefetch if p not in out)
    return out


def with_prefetches(qs: QuerySet, *slots: PanelSlot) -> QuerySet:
    lookups = prefetches(slots)
    return qs.prefetch_related(*lookups) if lookups else qs
