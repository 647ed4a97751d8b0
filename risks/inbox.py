"""The risks app's sections of the personal inbox (registered in ``RisksConfig.ready``).

- signatures requested from me: acceptances awaiting my signature;
- acceptances I own that need me: expiring within 30 days, or sent back by a decline;
- mitigations I own that are overdue (planned, due date passed, on a live acceptance);
- my drafts: acceptances I created that are still drafts.

Every section but the first lists only acceptances the user reads
(``risks.access.readable_acceptance_q``): someone who left a private log's team no longer
sees its items. Signature requests link to the sign page, which a named signatory reads
whatever their role (risks.selectors.acceptance_get), so they stay.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from config.inbox import EXPIRING_WITHIN_DAYS, InboxItem

from .access import readable_acceptance_q
from .models import Mitigation, RiskAcceptance, Signature
from .selectors import awaiting_signature_of

S = RiskAcceptance.State
# States in which a mitigation still matters to its owner.
LIVE_STATES = (S.DRAFT, S.AWAITING, S.ACCEPTED, S.TRIGGERED)


def _declined() -> Exists:
    """The acceptance holds a valid decline (it went back to draft because of it)."""
    return Exists(
        Signature.objects.filter(
            acceptance=OuterRef("pk"), void=False, verdict=Signature.Verdict.DECLINE
        )
    )


def _days(day: date, today: date) -> str:
    delta = (day - today).days
    if delta < 0:
        return f"{-delta} day{'s' if delta != -1 else ''} ago"
    if delta == 0:
        return "today"
    return f"in {delta} day{'s' if delta != 1 else ''}"


class SignaturesRequested:
    key = "signatures"
    label = "Signatures requested from you"
    empty = "Nothing to sign. Risk acceptances that name you as a signatory appear here."
    order = 10

    def open_items(self, *, user, today: date) -> QuerySet:
        return RiskAcceptance.objects.filter(awaiting_signature_of(user))

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        rows = (
            self.open_items(user=user, today=today)
            .select_related("owner")
            .only("title", "expires_on", "signing_round", "owner__display_name", "owner__username")
            .order_by("submitted_at", "pk")[:limit]
        )
        return [
            InboxItem(
                title=a.title,
                url=reverse("risks:sign", kwargs={"pk": a.pk}),
                detail=f"Round {a.signing_round}; owner {a.owner.printed_name}",
                badge="sign",
            )
            for a in rows
        ]

    def more_url(self, *, user) -> str | None:
        return reverse("risks:index") + "?mine=1"


class AcceptancesNeedingOwner:
    key = "acceptances"
    label = "Your acceptances that need you"
    empty = (
        f"None. Acceptances you own appear here when they expire within {EXPIRING_WITHIN_DAYS} "
        "days or a signatory declines them."
    )
    order = 40

    def open_items(self, *, user, today: date) -> QuerySet:
        soon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
        expiring = Q(state__in=(S.AWAITING, S.ACCEPTED), expires_on__lte=soon)
        declined = Q(state=S.DRAFT) & Q(_declined())
        return RiskAcceptance.objects.filter(
            readable_acceptance_q(user), Q(owner=user) & (expiring | declined)
        )

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        rows = (
            self.open_items(user=user, today=today)
            .annotate(declined=_declined())
            .only("title", "state", "expires_on")
            .order_by("expires_on", "pk")[:limit]
        )
        items = []
        for a in rows:
            if a.declined and a.state == S.DRAFT:
                badge, detail = "declined", "A signatory declined it; it is back in draft."
            else:
                badge = f"expires {_days(a.expires_on, today)}"
                detail = f"{a.get_state_display()}; expires on {a.expires_on:%d %b %Y}"
            items.append(
                InboxItem(
                    title=a.title,
                    url=a.get_absolute_url(),
                    detail=detail,
                    badge=badge,
                    when=a.expires_on,
                )
            )
        return items

    def more_url(self, *, user) -> str | None:
        return reverse("risks:index") + f"?owner={user.get_username()}"


class OverdueMitigations:
    key = "mitigations"
    label = "Your overdue mitigations"
    empty = "None overdue. Planned mitigations you own appear here once their due date passes."
    order = 50

    def open_items(self, *, user, today: date) -> QuerySet:
        return Mitigation.objects.filter(
            readable_acceptance_q(user, prefix="acceptance__"),
            owner=user,
            status=Mitigation.Status.PLANNED,
            due_on__lt=today,
            acceptance__state__in=LIVE_STATES,
        )

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        rows = (
            self.open_items(user=user, today=today)
            .select_related("acceptance")
            .only("description", "due_on", "acceptance__title")
            .order_by("due_on", "pk")[:limit]
        )
        return [
            InboxItem(
                title=m.description[:120],
                url=m.acceptance.get_absolute_url(),
                detail=f"For “{m.acceptance.title}”; due {m.due_on:%d %b %Y}",
                badge=f"due {_days(m.due_on, today)}",
                when=m.due_on,
            )
            for m in rows
        ]

    def more_url(self, *, user) -> str | None:
        return None


class MyDrafts:
    key = "drafts"
    label = "Your drafts"
    empty = "No drafts. Risk acceptances you started and have not submitted appear here."
    order = 60

    def open_items(self, *, user, today: date) -> QuerySet:
        return RiskAcceptance.objects.filter(
            readable_acceptance_q(user), created_by=user, state=S.DRAFT
        )

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        rows = (
            self.open_items(user=user, today=today)
            .annotate(declined=_declined())
            .only("title", "created_at")
            .order_by("-created_at", "-pk")[:limit]
        )
        return [
            InboxItem(
                title=a.title,
                url=a.get_absolute_url(),
                detail=f"Started {a.created_at:%d %b %Y}",
                badge="declined" if a.declined else "draft",
            )
            for a in rows
        ]

    def more_url(self, *, user) -> str | None:
        return reverse("risks:index") + "?state=draft"


SECTIONS = (SignaturesRequested(), AcceptancesNeedingOwner(), OverdueMitigations(), MyDrafts())
