"""Emails are a triple of templates (subject, text, HTML) rendered by one helper."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, context: dict) -> RenderedEmail:
    """Render `emails/<name>-subject.txt`, `-body.txt` and `-body.html`."""
    ctx = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = render_subject(f"emails/{name}-subject.txt", ctx)
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    return RenderedEmail(subject=subject[:250], text=text, html=html)


def render_subject(template_name: str, context: dict) -> str:
    """A subject is a header, not HTML: rendered without autoescaping (a title with `&`,
    `'` or `<` reads as typed), on one line (CR, LF and other control characters become
    spaces, so no header can be injected)."""
    template = get_template(template_name).template  # type: ignore[attr-defined]  # the engine's own Template
    raw = template.render(Context(context, autoescape=False))
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in raw)
    return " ".join(text.split())
