"""`{{ day|ledger_date }}` and `{{ instant|ledger_datetime }}`: the product's one date
format and one date-time format (config.dates). A builtin (settings TEMPLATES), so every
template, email templates included, has them without `{% load %}`.

`{{ instant|ledger_datetime:"UTC" }}` shows the same format in another zone (the audit
file gives the UTC instant beside the local one). `|date:"c"` stays for machine-readable
`<time datetime>` attributes; tests/platform/test_date_formats.py refuses any other."""

from __future__ import annotations

from django import template

from config.dates import format_date, format_datetime

register = template.Library()


@register.filter
def ledger_date(value) -> str:
    return format_date(value)


@register.filter
def ledger_datetime(value, zone: str = "") -> str:
    return format_datetime(value, zone or None)
