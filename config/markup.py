"""Markdown → sanitised HTML, rendered once per save into a cached field.

User text is rendered with `markdown` (tables, fenced code) and the result is
always passed through nh3 (Ammonia): no scripts, no event handlers, no
`javascript:`/`data:` URLs, and links get `rel="noopener noreferrer"`. No `class`
or `id` either, so user text cannot wear the app's own styles (a fake flash message
"your session expired…"): the one class kept is fenced code's `language-…`.
"""

from __future__ import annotations

import re

import markdown
import nh3
from django.db import models
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},  # only `language-…`, see _keep_attribute
    "ol": {"start"},
}
CODE_LANGUAGE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["tables", "fenced_code", "sane_lists", "nl2br"]


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: a code block's language class, nothing else of `class`."""
    if attribute == "class":
        kept = [c for c in value.split() if tag == "code" and CODE_LANGUAGE.fullmatch(c)]
        return kept[0] if kept else None
    return value


def render_markdown(text: str | None) -> str:
    """Return sanitised HTML for `text` (empty string for empty input)."""
    if not text or not text.strip():
        return ""
    html = markdown.markdown(text, extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_keep_attribute,
    )


def safe_markdown(text: str | None) -> SafeString:
    """For previews: render and mark safe (the output is sanitised by nh3)."""
    return mark_safe(render_markdown(text))  # noqa: S308 - nh3-sanitised above


class MarkdownFieldsMixin(models.Model):
    """Renders each field in `MARKDOWN_FIELDS` into `<field>_html` on every save.

    The HTML columns are derived, so models exclude them from history.
    """

    MARKDOWN_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        changed = self.render_markdown_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = list(set(update_fields) | set(changed))
        super().save(*args, **kwargs)

    def render_markdown_fields(self) -> list[str]:
        changed = []
        for name in self.MARKDOWN_FIELDS:
            setattr(self, f"{name}_html", render_markdown(getattr(self, name)))
            changed.append(f"{name}_html")
        return changed

    @classmethod
    def markdown_html_field_names(cls) -> list[str]:
        return [f"{name}_html" for name in cls.MARKDOWN_FIELDS]
