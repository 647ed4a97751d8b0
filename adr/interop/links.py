"""Links between ADR files, shown inside the app: `[x](0008-add-status-field.md)` in a
decision's text points at that decision's page (the file stays as written)."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from adr.models import Decision

from .importer import NUMBERED

HREF = re.compile(r'href="(?P<path>(?:\./)?(?P<name>[^"/#?:]+\.md))(?P<anchor>#[^"]*)?"')


def link_map(decision: Decision) -> dict[str, str]:
    """File name → page URL for the decisions of `decision`'s log (cached on it)."""
    cached = getattr(decision, "_adr_link_map", None)
    if cached is None:
        cached = {}
        key = decision.log.key
        for number, source_file in Decision.objects.filter(log_id=decision.log_id).values_list(
            "number", "source_file"
        ):
            url = reverse("adr:decision-detail", kwargs={"key": key, "number": number})
            cached[f"#{number}"] = url
            if source_file:
                cached[source_file] = url
        decision._adr_link_map = cached  # type: ignore[attr-defined]  # a per-instance cache
    return cached


def resolve_links(html: str, decision: Decision) -> SafeString:
    """`html` (already sanitised) with relative links to ADR files made in-app links."""
    if ".md" not in html:
        return mark_safe(html)  # noqa: S308 - the input is sanitised HTML
    links = link_map(decision)

    def swap(m: re.Match) -> str:
        name = m.group("name")
        url = links.get(name)
        if url is None:
            numbered = NUMBERED.match(name)
            url = links.get(f"#{int(numbered.group('num'))}") if numbered else None
        if url is None:
            return m.group(0)
        return f'href="{url}"'

    return mark_safe(HREF.sub(swap, html))  # noqa: S308 - only hrefs swapped for our URLs
