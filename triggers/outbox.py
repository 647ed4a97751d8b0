"""Write many outbox rows at once (same rules as config.notifications.services.notify_users).

The sweep fires up to a batch of triggers per transaction; writing their emails one
`notification_enqueue` at a time would cost ~5 queries per email. Here: one query to
find keys already queued, one bulk insert of rows and one of their history, and one
on-commit callback that nudges the sender for each new row. Should this be wanted
elsewhere, it belongs in config/notifications/services.py (`notification_enqueue_many`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history

from config.emails import render_email
from config.notifications import services as notifications
from config.notifications.models import Notification


@dataclass
class Email:
    recipient: str
    event: str
    dedupe_key: str
    template: str
    context: dict
    user: object | None = None
    about: object | None = None
    extra: dict = field(default_factory=dict)


def enqueue_many(emails: list[Email]) -> list[Notification]:
    """Queue each email at most once per dedupe key; send after commit. Returns new rows."""
    unique: dict[str, Email] = {}
    for email in emails:
        if email.recipient:
            unique.setdefault(email.dedupe_key[:255], email)
    if not unique:
        return []
    taken = set(
        Notification.objects.filter(dedupe_key__in=list(unique)).values_list(
            "dedupe_key", flat=True
        )
    )
    rows = []
    for key, email in unique.items():
        if key in taken:
            continue
        rendered = render_email(email.template, {"recipient_user": email.user, **email.context})
        row = Notification(
            recipient=email.recipient,
            user=email.user,
            event=email.event,
            dedupe_key=key,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            subject_type=email.about._meta.label_lower if email.about is not None else "",
            subject_id=email.about.pk if email.about is not None else None,
        )
        row._change_reason = f"queued: {email.event}"
        rows.append(row)
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = bulk_create_with_history(rows, Notification)
    except IntegrityError:
        # Another transaction queued one of these keys meanwhile: fall back to one by one.
        created = []
        for key, email in unique.items():
            if key in taken:
                continue
            row = notifications.notification_enqueue(
                recipient=email.recipient,
                event=email.event,
                dedupe_key=key,
                template=email.template,
                context=email.context,
                user=email.user,
                about=email.about,
            )
            if row is not None:
                created.append(row)
        return created
    notifications.send_on_commit(row.pk for row in created)
    return created
