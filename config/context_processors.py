"""Template context for every page."""

from __future__ import annotations

from functools import cached_property

from . import inbox as inbox_registry

UNREAD = "_unread_notifications"


class _NavCounts:
    """The navigation's counts — open items (every home-page section) and unread
    notifications — in one query, run only if a template shows them, and once."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def counts(self) -> dict[str, int]:
        from .inapp.selectors import unread

        return inbox_registry.section_counts(user=self.user, extra={UNREAD: unread(user=self.user)})

    @property
    def open(self) -> int:
        return sum(n for key, n in self.counts.items() if key != UNREAD)

    @property
    def unread(self) -> int:
        return self.counts.get(UNREAD, 0)


def nav_counts(user) -> _NavCounts:
    return _NavCounts(user)


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_counts": nav_counts(user)}
