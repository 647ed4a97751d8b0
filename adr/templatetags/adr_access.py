"""Template side of adr.access: show a control only to whom the service lets through.

{% load adr_access %}{% if user|writes_in:log %}…{% endif %}
{% if user|writes_somewhere %}…{% endif %}   (writes in some log: "New decision")
"""

from __future__ import annotations

from django import template

from adr.access import can_write_log

register = template.Library()


@register.filter
def writes_in(user, log) -> bool:
    return bool(log) and can_write_log(user, log)


@register.filter
def writes_somewhere(user) -> bool:
    return can_write_log(user, None)
