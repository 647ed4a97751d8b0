"""Preferences: read them for a batch of emails, change them, and sign unsubscribe links."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from config.history import tracked_save

from .classes import BY_KEY, Mode, class_of
from .models import NotificationPreference

if TYPE_CHECKING:
    from config.accounts.models import User

UNSUBSCRIBE_SALT = "ledger.preferences.unsubscribe"


def modes_for(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """For (user id, event) pairs, the mode each email gets: one query for all.
    Mandatory classes and events outside every class are always immediate."""
    wanted = {(uid, class_of(event)) for uid, event in pairs if uid is not None}
    keys = {c.key for _uid, c in wanted if c is not None and not c.mandatory}
    users = {uid for uid, c in wanted if c is not None and not c.mandatory}
    stored = {}
    if keys and users:
        stored = {
            (uid, key): mode
            for uid, key, mode in NotificationPreference.objects.filter(
                user_id__in=users, event_class__in=keys
            ).values_list("user_id", "event_class", "mode")
        }
    result = {}
    for uid, event in pairs:
        cls = class_of(event)
        if uid is None or cls is None or cls.mandatory:
            result[(uid, event)] = Mode.IMMEDIATE
        else:
            result[(uid, event)] = stored.get((uid, cls.key), Mode.IMMEDIATE)
    return result


def preferences_of(user: User) -> dict[str, str]:
    stored = dict(
        NotificationPreference.objects.filter(user=user).values_list("event_class", "mode")
    )
    return {key: stored.get(key, Mode.IMMEDIATE) for key in BY_KEY}


@transaction.atomic
def preference_set(
    *, user: User, event_class: str, mode: str, reason: str = "preference changed"
) -> NotificationPreference:
    cls = BY_KEY.get(event_class)
    if cls is None:
        raise ValidationError("Unknown kind of notification.")
    if mode not in Mode.VALUES:
        raise ValidationError("Unknown choice.")
    if cls.mandatory and mode != Mode.IMMEDIATE:
        raise ValidationError(f"{cls.label} are always emailed at once: they cannot be changed.")
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user, event_class=event_class
    )
    if pref.mode != mode:
        pref.mode = mode
        tracked_save(pref, actor=user, reason=reason, update_fields=["mode"])
    return pref


def unsubscribe_token(*, user_id: int, event_class: str) -> str:
    return signing.dumps({"u": user_id, "c": event_class}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str]:
    """(user id, class) from a link; BadSignature/SignatureExpired when tampered or old."""
    data = signing.loads(
        token, salt=UNSUBSCRIBE_SALT, max_age=settings.LEDGER_UNSUBSCRIBE_MAX_AGE_SECONDS
    )
    return int(data["u"]), str(data["c"])


def footer_links(*, user_id: int | None, event: str) -> dict[str, str]:
    """The links every email ends with: the preferences page, and (for an event that can
    be switched off) a signed unsubscribe link that works without logging in."""
    site = settings.SITE_URL.rstrip("/")
    links = {"preferences_url": site + reverse("preferences:page")}
    cls = class_of(event)
    if user_id is not None and cls is not None and not cls.mandatory:
        token = unsubscribe_token(user_id=user_id, event_class=cls.key)
        links["unsubscribe_url"] = site + reverse(
            "preferences:unsubscribe", kwargs={"token": token}
        )
        links["unsubscribe_label"] = cls.label
    return links
