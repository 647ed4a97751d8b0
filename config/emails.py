"""Emails are a triple of templates (subject, text, HTML) rendered by one helper."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, context: dict, *, time_zone: str = "") -> RenderedEmail:
    """Render `emails/<name>-subject.txt`, `-body.txt` and `-body.html`, with dates and
    times in `time_zone` (the recipient's own; the server's when empty or unknown)."""
    ctx = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    with timezone.override(_zone(time_zone)):
        subject = render_subject(f"emails/{name}-subject.txt", ctx)
        text = render_to_string(f"emails/{name}-body.txt", ctx)
        html = render_to_string(f"emails/{name}-body.html", ctx)
    return RenderedEmail(subject=subject[:250], text=text, html=html)


def _zone(name: str):
    try:
        return ZoneInfo(name) if name else timezone.get_default_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def render_subject(template_name: str, context: dict) -> str:
    """A subject is a header, not HTML: rendered without autoescaping (a title with `&`,
    `'` or `<` reads as typed), on one line (CR, LF and other control characters become
    spaces, so no header can be injected)."""
    template = get_template(template_name).template
    raw = template.render(Context(context, autoescape=False))
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in raw)
    return " ".join(text.split())
