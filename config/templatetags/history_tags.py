"""Template filters for history pages: values as people read them."""

from __future__ import annotations

from django import template

from config.changesets import readable as _readable

register = template.Library()


@register.filter
def readable(value) -> str:
    """yes/no, formatted dates and times, "—" for nothing, "(empty)" for an empty text."""
    return _readable(value)
