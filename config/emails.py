"""Emails are a triple of templates (subject, text, HTML) rendered by one helper.

`EmailRenderer` renders many emails (the outbox renders one batch with one renderer):
each template is looked up and compiled once per renderer, and each email only brings
its own context. `render_email` renders one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template import Context
from django.template.base import Template
from django.template.loader import get_template
from django.utils import timezone

if TYPE_CHECKING:
    from django.template.backends.django import Template as DjangoBackendTemplate

PARTS = ("subject.txt", "body.txt", "body.html")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    """Renders `emails/<name>-subject.txt`, `-body.txt` and `-body.html`; the compiled
    templates are kept for the renderer's life (one batch), so a batch of N emails of
    one kind looks up and compiles three templates, not 3 × N."""

    def __init__(self) -> None:
        self.site_url = settings.SITE_URL.rstrip("/")
        self._compiled: dict[str, tuple[Template, Template, Template]] = {}

    def _templates(self, name: str) -> tuple[Template, Template, Template]:
        compiled = self._compiled.get(name)
        if compiled is None:
            # The emails are Django templates: the backend's wrapper holds the compiled one.
            subject, text, html = (
                cast("DjangoBackendTemplate", get_template(f"emails/{name}-{p}")).template
                for p in PARTS
            )
            compiled = self._compiled[name] = (subject, text, html)
        return compiled

    def render(self, name: str, context: dict, *, time_zone: str = "") -> RenderedEmail:
        """Dates and times in `time_zone` (the recipient's own; the server's when empty
        or unknown)."""
        subject, text, html = self._templates(name)
        ctx = {"site_url": self.site_url, **context}
        with timezone.override(_zone(time_zone)):
            return RenderedEmail(
                subject=one_line(subject.render(Context(ctx, autoescape=False)))[:250],
                text=text.render(Context(ctx)),
                html=html.render(Context(ctx)),
            )


def render_email(name: str, context: dict, *, time_zone: str = "") -> RenderedEmail:
    """Render `emails/<name>-subject.txt`, `-body.txt` and `-body.html`."""
    return EmailRenderer().render(name, context, time_zone=time_zone)


def _zone(name: str):
    try:
        return ZoneInfo(name) if name else timezone.get_default_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def one_line(raw: str) -> str:
    """A subject is a header, not HTML: rendered without autoescaping (a title with `&`,
    `'` or `<` reads as typed), on one line: CR, LF and other control characters become
    spaces, so no header can be injected."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in raw)
    return " ".join(text.split())
