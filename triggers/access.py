"""Who a trigger concerns, and who may acknowledge it when it fires.

A trigger *involves* a person who watches it, owns or signs its risk acceptance, is its
escalation contact, or created it. These are the people its emails go to (see
``triggers.firing.recipients``), so whoever is asked by email to acknowledge can do it:

    may acknowledge = architects and staff (operators, as before)
                    + anyone the trigger involves who can read the ledger (has a role).

An address on the "extra addresses" list is not a person of the ledger: its emails say
what happened and link to the page, but never ask it to acknowledge.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q

from config.accounts.roles import ALL_ROLES, ARCHITECT, can_read, has_role

from .models import Trigger


def is_operator(user) -> bool:
    """Architects and staff: acknowledge any fired trigger, change initiatives."""
    return bool(getattr(user, "is_active", False)) and (
        has_role(user, ARCHITECT) or bool(getattr(user, "is_staff", False))
    )


def require_operator(user) -> None:
    if not is_operator(user):
        raise PermissionDenied("This needs the architect role or a staff account.")


def involves(user) -> Q:
    """Triggers that concern ``user`` (a filter for ``Trigger.objects``; no duplicates)."""
    from risks.models import RequiredSignatory

    watching = Trigger.watchers.through.objects.filter(trigger=OuterRef("pk"), user=user)
    signing = RequiredSignatory.objects.filter(acceptance=OuterRef("risk_acceptance"), user=user)
    return (
        Q(Exists(watching))
        | Q(risk_acceptance__owner=user)
        | Q(Exists(signing))
        | Q(escalation_contact=user)
        | Q(created_by=user)
    )


def is_involved(user, trigger: Trigger) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Trigger.objects.filter(involves(user), pk=trigger.pk).exists()


def may_acknowledge(user, trigger: Trigger) -> bool:
    """May ``user`` acknowledge ``trigger`` (whatever its state)?"""
    if not getattr(user, "is_active", False):
        return False
    if is_operator(user):
        return True
    return can_read(user) and is_involved(user, trigger)


def acknowledger_ids(users: Iterable) -> set[int]:
    """Of ``users`` (all involved in one trigger: its email recipients), the ids of those
    who may acknowledge it. One query, whatever the number of users."""
    ids = {u.pk for u in users if u is not None and getattr(u, "is_active", False)}
    if not ids:
        return set()
    readers = get_user_model().objects.filter(
        Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name__in=ALL_ROLES),
        pk__in=ids,
        is_active=True,
    )
    return set(readers.values_list("pk", flat=True))
