"""Event classes a person chooses for (see config/notifications/table.py for the events).

Signature requests and fired triggers cannot be switched off, nor held for a digest:
someone is waiting for that person to act.
"""

from __future__ import annotations

from dataclasses import dataclass


class Mode:
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"
    CHOICES = [
        (IMMEDIATE, "Email me at once"),
        (DIGEST, "In a daily digest"),
        (OFF, "Not at all"),
    ]
    VALUES = (IMMEDIATE, DIGEST, OFF)


@dataclass(frozen=True)
class EventClass:
    key: str
    label: str
    events: tuple[str, ...]
    mandatory: bool = False


CLASSES: tuple[EventClass, ...] = (
    EventClass(
        "signature_requests",
        "Requests for your signature",
        ("signature.requested", "signature.rerequested"),
        mandatory=True,
    ),
    EventClass(
        "trigger_fired",
        "Fired triggers and their reminders",
        ("trigger.fired", "trigger.reminder"),
        mandatory=True,
    ),
    EventClass(
        "acceptance_outcomes",
        "Signatures, declines and acceptances of acceptances",
        ("acceptance.signed", "acceptance.declined", "acceptance.accepted"),
    ),
    EventClass("signature_withdrawn", "Signatures no longer needed", ("signature.withdrawn",)),
    EventClass(
        "trigger_warnings",
        "Trigger warnings and broken metric probes",
        ("trigger.warning", "trigger.probe_broken"),
    ),
    EventClass("risk_reviews", "Accepted risks due for review", ("acceptance.review_due",)),
    EventClass("mentions", "Comments that mention you", ("comment.mentioned",)),
    EventClass("reviews", "Review requests and verdicts", ("review.requested", "review.submitted")),
)

BY_KEY = {c.key: c for c in CLASSES}
BY_EVENT = {event: c for c in CLASSES for event in c.events}


def class_of(event: str) -> EventClass | None:
    """The class of ``event``; None for events nobody may opt out of (e.g. digests)."""
    return BY_EVENT.get(event)
