"""Emails are a triple of templates (subject, text, HTML) rendered by one helper."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, context: dict) -> RenderedEmail:
    """Render `emails/<name>-subject.txt`, `-body.txt` and `-body.html`."""
    ctx = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    return RenderedEmail(subject=subject[:250], text=text, html=html)
