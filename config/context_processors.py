"""Template context for every page."""

from __future__ import annotations

from functools import cached_property

from . import inbox as inbox_registry


class _OpenCount:
    """The navigation's count of open items, queried only if a template shows it, once."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def value(self) -> int:
        return inbox_registry.open_count(user=self.user)

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
    return {"inbox_open": _OpenCount(user)}
