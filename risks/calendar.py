"""The risks app's calendar events (registered in ``RisksConfig.ready``): expiries of
the acceptances I own, sign or wrote, and due dates of planned mitigations I own or that
belong to an acceptance I own — of the acceptances I read (``risks.access``), so someone
who left a private log's team no longer gets its dates."""

from __future__ import annotations

from django.db.models import Q

from config.calendar.registry import CalendarEvent

from .access import readable_acceptance_q
from .models import Mitigation, RiskAcceptance

S = RiskAcceptance.State


class AcceptanceDates:
    key = "risks"

    def events(self, *, user) -> list[CalendarEvent]:
        return self._expiries(user) + self._mitigations(user)

    def _expiries(self, user) -> list[CalendarEvent]:
        mine = Q(owner=user) | Q(created_by=user) | Q(signatories__user=user)
        rows = (
            RiskAcceptance.objects.filter(
                mine,
                readable_acceptance_q(user),
                state__in=(S.AWAITING, S.ACCEPTED),
                expires_on__isnull=False,
            )
            .distinct()
            .only("title", "expires_on")
        )
        return [
            CalendarEvent(
                uid=f"acceptance-{a.pk}-expires",
                day=a.expires_on,
                summary=f"Risk acceptance expires: {a.title}",
                url=a.get_absolute_url(),
            )
            for a in rows
            if a.expires_on is not None  # always (expires_on__isnull=False); narrows the type
        ]

    def _mitigations(self, user) -> list[CalendarEvent]:
        rows = (
            Mitigation.objects.filter(
                Q(owner=user) | Q(acceptance__owner=user),
                readable_acceptance_q(user, prefix="acceptance__"),
                status=Mitigation.Status.PLANNED,
                due_on__isnull=False,
                acceptance__state__in=(S.DRAFT, S.AWAITING, S.ACCEPTED, S.TRIGGERED),
            )
            .select_related("acceptance", "owner")
            .only(
                "description",
                "due_on",
                "acceptance__title",
                "owner__username",
                "owner__display_name",
                "owner__first_name",
                "owner__last_name",
            )
        )
        return [
            CalendarEvent(
                uid=f"mitigation-{m.pk}-due",
                day=m.due_on,
                summary=f"Mitigation due: {m.description[:80]}",
                description=(
                    f"For “{m.acceptance.title}”"
                    + (f"; owner {m.owner.printed_name}" if m.owner else "")
                ),
                url=m.acceptance.get_absolute_url(),
            )
            for m in rows
            if m.due_on is not None  # always (due_on__isnull=False); narrows the type
        ]
