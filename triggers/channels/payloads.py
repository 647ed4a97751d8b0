"""What each kind of channel posts about a fired trigger, and how the signed kind signs.

Bodies are rendered when the delivery is queued (as emails are) and stored on the row;
the signed kind's headers are computed at each attempt, with a fresh timestamp:

- ``X-Ledger-Timestamp``: Unix seconds;
- ``X-Ledger-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with
  the channel's secret — the scheme incoming trigger webhooks use
  (``triggers.webhooks.webhook_signature``);
- ``X-Ledger-Delivery``: the delivery's id, the same on every retry (receivers dedupe on it).

The receiver's side is documented in docs/notifications.md (and played by
tests/support/http_receiver.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from triggers.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature

from .models import Channel

DELIVERY_HEADER = "X-Ledger-Delivery"
EVENT = "trigger.fired"


@dataclass(frozen=True)
class Summary:
    """The facts every kind shows."""

    title: str
    reason: str
    url: str
    facts: list[tuple[str, str]]
    data: dict[str, Any]


def summarise(event: Any) -> Summary:
    """`event` is a FiredEvent whose trigger has its decisions (and their logs) loaded."""
    trigger = event.trigger
    url = settings.SITE_URL.rstrip("/") + trigger.get_absolute_url()
    decisions = [f"{d.log.key}-{d.number:04d} {d.title}" for d in trigger.decisions.all()]
    facts = [("Trigger", trigger.name), ("Fired at", event.fired_at.isoformat(timespec="seconds"))]
    if decisions:
        facts.append(("Decisions", "; ".join(decisions)))
    data = {
        "event": EVENT,
        "fired_event": {
            "id": event.pk,
            "fired_at": event.fired_at.isoformat(),
            "reason": event.reason,
        },
        "trigger": {"id": trigger.pk, "name": trigger.name, "kind": trigger.kind, "url": url},
        "decisions": decisions,
    }
    return Summary(f"Trigger fired: {trigger.name}", event.reason, url, facts, data)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(summary: Summary) -> dict[str, Any]:
    """Slack's incoming-webhook body (Mattermost and Rocket.Chat read the same)."""
    title = _slack_escape(summary.title)
    lines = [f"*{title}*", _slack_escape(summary.reason)]
    lines += [f"*{_slack_escape(k)}:* {_slack_escape(v)}" for k, v in summary.facts]
    lines.append(f"<{summary.url}|Open the trigger>")
    text = "\n".join(lines)
    return {
        "text": f"{title}: {_slack_escape(summary.reason)}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def teams(summary: Summary) -> dict[str, Any]:
    """An Adaptive Card in the message envelope Teams incoming webhooks (and Workflows)
    accept."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": summary.title,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": summary.reason, "wrap": True},
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in summary.facts]},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open the trigger", "url": summary.url}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def body_for(kind: str, event: Any) -> str:
    """The stored body of a delivery of `event` to a channel of `kind`."""
    summary = summarise(event)
    if kind == Channel.Kind.SLACK:
        payload = slack(summary)
    elif kind == Channel.Kind.TEAMS:
        payload = teams(summary)
    else:
        payload = summary.data
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def headers_for(channel: Channel, body: bytes, *, delivery_id: int | None) -> dict[str, str]:
    """Headers of one attempt (signed anew, with the current time, for the signed kind)."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "DecisionLedger"}
    if delivery_id is not None:
        headers[DELIVERY_HEADER] = str(delivery_id)
    if channel.kind == Channel.Kind.SIGNED_JSON:
        timestamp = str(int(time.time()))
        headers["X-Ledger-Event"] = EVENT
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = "sha256=" + webhook_signature(channel.secret, timestamp, body)
    return headers
