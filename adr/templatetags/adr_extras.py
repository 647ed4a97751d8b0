"""Small display helpers for the decision log pages (escaped output only)."""

from __future__ import annotations

from datetime import date

from django import template
from django.db import models
from django.template.defaultfilters import truncatechars

from config.changesets import readable

register = template.Library()

SKIP = {"id", "position", "created_at", "updated_at", "last_number", "number"}


@register.filter
def history_value(value) -> str:
    """A field value as shown in a history diff."""
    if value is None:
        return "—"
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, date):  # and datetime: one format (config.changesets.readable)
        return readable(value)
    return str(value)


@register.filter
def history_summary(record) -> str:
    """The values a created object started with, on one line: "Title: …; Score: 3"."""
    parts = []
    for field in record.instance_type._meta.fields:
        if field.name in SKIP or field.name.endswith("_html") or field.is_relation:
            continue
        if isinstance(field, models.AutoField):
            continue
        value = getattr(record, field.attname, None)
        if value in (None, "", False):
            continue
        shown = history_value(value)
        parts.append(f"{str(field.verbose_name).capitalize()}: {truncatechars(shown, 80)}")
    return "; ".join(parts)


@register.filter
def plain_number(value) -> str:
    """1 → "1", 1.50 → "1.5", 2.25 → "2.25" (weights and weighted totals)."""
    if value is None or value == "":
        return ""
    try:
        text = format(value.normalize(), "f")
    except AttributeError:
        return str(value)
    return text
