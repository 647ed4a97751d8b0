"""What the outbox asks of preferences: the footer every email ends with, and each new
row's fate (send now, hold for the digest, or keep only in the app)."""

from __future__ import annotations

import html

from config.emails import RenderedEmail

from .classes import Mode
from .services import footer_links, modes_for


def with_footer(
    rendered: RenderedEmail, *, user_id: int | None, event: str, links: dict | None = None
) -> RenderedEmail:
    """`links`: `footer_links(user_id=…, event=…)` when the caller has it already (the
    outbox computes it once per person and event in a batch)."""
    links = links if links is not None else footer_links(user_id=user_id, event=event)
    text = f"{rendered.text.rstrip()}\n\n--\nYour email preferences: {links['preferences_url']}\n"
    parts = [f'<a href="{html.escape(links["preferences_url"])}">Your email preferences</a>']
    if "unsubscribe_url" in links:
        text += f"Stop these ({links['unsubscribe_label']}): {links['unsubscribe_url']}\n"
        parts.append(
            f'<a href="{html.escape(links["unsubscribe_url"])}">Stop these '
            f"({html.escape(links['unsubscribe_label'])})</a>"
        )
    footer = '<hr><p class="footer"><small>' + " · ".join(parts) + "</small></p>"
    return RenderedEmail(subject=rendered.subject, text=text, html=rendered.html + footer)


def apply_preferences(rows: list) -> None:
    """Set each new outbox row's state from its person's preference (one query): held
    for the digest, or cancelled (kept in the app, never emailed) when switched off."""
    from config.notifications.models import Notification

    modes = modes_for([(row.user_id, row.event) for row in rows])
    for row in rows:
        mode = modes[(row.user_id, row.event)]
        if mode == Mode.DIGEST:
            row.state = Notification.State.HELD
        elif mode == Mode.OFF:
            row.state = Notification.State.CANCELLED
            row.last_error = "Not emailed: switched off in the person's preferences."
