"""Who a trigger concerns, and who may acknowledge it when it fires.

A trigger *involves* a person who watches it, owns or signs its risk acceptance, is its
escalation contact, or created it. These are the people its emails go to (see
``triggers.firing.recipients``), so whoever is asked by email to acknowledge can do it:

    may acknowledge = staff
                    + whoever writes the trigger (`can_write_trigger`: its logs' architects)
                    + anyone the trigger involves who reads it (`readable_trigger_q`).

An organisation-wide architect therefore does not acknowledge a trigger of another
team's private log; the team's architects do. An address on the "extra addresses" list
is not a person of the ledger: its emails say what happened and link to the page, but
never ask it to acknowledge.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q

from adr.access import NOTHING, can_write_decisions, can_write_log, readable_log_q, sees_every_log
from config.accounts.models import Membership
from config.accounts.roles import ALL_ROLES, ARCHITECT, STAKEHOLDER, can_read, has_role
from risks.access import can_write_acceptance, readable_acceptance_q

from .models import Trigger

ACKNOWLEDGE_DENIED = (
    "Only the trigger's watchers, the acceptance's owner and signatories and its "
    "escalation contact (if they can read it), the architects of its logs and staff "
    "can acknowledge it."
)


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
    """May ``user`` acknowledge ``trigger`` (whatever its state)? Staff; the trigger's
    writers; anyone it involves who reads it."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    if sees_every_log(user):
        return True
    if not can_read(user):
        return False
    if can_write_trigger(user, trigger):
        return True
    return Trigger.objects.filter(readable_trigger_q(user), involves(user), pk=trigger.pk).exists()


def require_acknowledger(user, trigger: Trigger) -> None:
    if not may_acknowledge(user, trigger):
        raise PermissionDenied(ACKNOWLEDGE_DENIED)


def _reader_stand_in(user_id: int):
    """A reader with ``user_id`` and no role of their own to speak of: what they read
    (``readable_trigger_q``) then rests on subqueries by their id only (their teams, the
    acceptances naming them), so one SQL query can ask it for many people at once; the
    outer query checks that the real person reads the ledger at all."""
    stand_in = get_user_model()(pk=user_id, is_active=True, is_staff=False, is_superuser=False)
    stand_in._ledger_roles = frozenset({STAKEHOLDER})  # type: ignore[attr-defined]
    stand_in._ledger_team_roles = {}  # type: ignore[attr-defined]
    return stand_in


def acknowledger_ids(users: Iterable, *, trigger: Trigger | None = None) -> set[int]:
    """Of ``users`` (all involved in ``trigger``: its email recipients), the ids of those
    who may acknowledge it: staff, and the readers of the ledger who read ``trigger``
    (whoever writes a trigger also reads it, so for the people it involves this is
    `may_acknowledge`). One query, whatever the number of users.

    Without ``trigger`` (callers that batch recipients of several triggers): the readers
    of the ledger among ``users``, which over-asks people who left a private log's team;
    pass the trigger."""
    ids = {u.pk for u in users if u is not None and getattr(u, "is_active", False)}
    if not ids:
        return set()
    has_a_role = Q(groups__name__in=ALL_ROLES) | Q(
        Exists(Membership.objects.filter(user=OuterRef("pk")))
    )
    reads = has_a_role
    if trigger is not None:
        per_person = NOTHING
        for user_id in sorted(ids):
            readable = Trigger.objects.filter(
                readable_trigger_q(_reader_stand_in(user_id)), pk=trigger.pk
            )
            per_person |= Q(pk=user_id) & Q(Exists(readable))
        reads = has_a_role & per_person
    people = get_user_model().objects.filter(
        Q(is_staff=True) | Q(is_superuser=True) | reads, pk__in=ids, is_active=True
    )
    return set(people.values_list("pk", flat=True))


# --- Teams and per-log permissions: triggers follow the logs of their decisions ---------
#
# Write (`can_write_trigger`): staff; else write access to the log of every linked
# decision and to the linked risk acceptance (risks.access); a trigger linked to
# nothing: organisation-wide architects. Read (`readable_trigger_q`): a trigger linked
# to nothing is read by every reader; else by whom reads one of its decisions' logs or
# its acceptance.


def _ids(decisions: Iterable | None) -> set[int]:
    return {d.pk if hasattr(d, "pk") else int(d) for d in decisions or ()}


def can_write_trigger(
    user,
    trigger: Trigger | None = None,
    *,
    decisions: Iterable | None = None,
    risk_acceptance=None,
) -> bool:
    """May ``user`` write ``trigger`` (or create one) linked to ``decisions`` and
    ``risk_acceptance`` (None: the trigger's own links)?"""
    if not getattr(user, "is_active", False):
        return False
    if sees_every_log(user):
        return True
    if decisions is None and trigger is not None:
        decisions = trigger.decisions.all()
    if risk_acceptance is None and trigger is not None:
        risk_acceptance = trigger.risk_acceptance
    ids = _ids(decisions)
    if risk_acceptance is not None and not can_write_acceptance(user, risk_acceptance):
        return False
    if ids:
        return can_write_decisions(user, ids)
    return risk_acceptance is not None or has_role(user, ARCHITECT)


def may_define(user) -> bool:
    """Architects anywhere (organisation-wide or in a team) and staff define triggers
    and initiatives; which decisions a trigger may rest on is `can_write_trigger`'s."""
    return can_write_log(user, None)


def require_trigger_writer(
    user,
    trigger: Trigger | None = None,
    *,
    decisions: Iterable | None = None,
    risk_acceptance=None,
) -> None:
    if not can_write_trigger(user, trigger, decisions=decisions, risk_acceptance=risk_acceptance):
        raise PermissionDenied(
            "Only staff and the architects of this trigger's decisions' logs can change it."
        )


def readable_trigger_q(user) -> Q:
    """Triggers ``user`` reads (subqueries only, no extra query)."""
    if not can_read(user):
        return NOTHING
    if sees_every_log(user):
        return Q()
    links = Trigger.decisions.through.objects.filter(trigger=OuterRef("pk"))
    readable = links.filter(readable_log_q(user, prefix="decision__log__"))
    unlinked = ~Q(Exists(links)) & Q(risk_acceptance__isnull=True)
    via_acceptance = Q(risk_acceptance__isnull=False) & readable_acceptance_q(
        user, prefix="risk_acceptance__"
    )
    return unlinked | Q(Exists(readable)) | via_acceptance
