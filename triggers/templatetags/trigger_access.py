"""Template side of triggers.access: "Add a trigger" only for whom the service lets in.

{% load trigger_access %}{% if user|writes_trigger_for:acceptance %}…{% endif %}
"""

from __future__ import annotations

from django import template

from triggers.access import can_write_trigger

register = template.Library()


@register.filter
def writes_trigger_for(user, acceptance) -> bool:
    return can_write_trigger(user, risk_acceptance=acceptance)
