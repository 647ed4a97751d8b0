"""Template context for every page."""

from __future__ import annotations

from functools import cached_property

from . import inbox as inbox_registry


class _LazyCount:
    """A count for the navigation, queried only if a template shows it, and once."""

    def __init__(self, user, count) -> None:
        self.user = user
        self._count = count

    @cached_property
    def value(self) -> int:
        return self._count(user=self.user)

    def __int__(self) -> int:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __str__(self) -> str:
        return str(self.value)


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .inapp.selectors import unread_count

    return {
        # Open items on the home page (one query for every section).
        "inbox_open": _LazyCount(user, inbox_registry.open_count),
        # Unread in-app notifications (one COUNT).
        "inbox_unread": _LazyCount(user, unread_count),
    }
