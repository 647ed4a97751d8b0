"""The writes of the risk policy: the bands, who holds which capacity, reviews of
accepted risks, and the daily reminders of reviews that are due."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from config.accounts.roles import is_staff
from config.errors import refuse_nul
from config.history import tracked_delete, tracked_save
from config.notifications.services import notify_users
from config.notifications.table import audience
from risks.access import can_write_acceptance
from risks.models import RiskAcceptance

from . import bands
from .models import AcceptanceReview, Capacity, CapacityHolder, RiskBand
from .selectors import due_for_review

if TYPE_CHECKING:
    from config.accounts.models import User


def _require_staff(actor: User) -> None:
    if not (actor.is_active and (actor.is_staff or actor.is_superuser)):
        raise PermissionDenied("Only staff change the risk policy.")


def _capacity(name: str, *, actor: User) -> Capacity:
    name = " ".join(name.split())
    found = Capacity.objects.filter(name__iexact=name).first()
    if found is None:
        found = Capacity(name=name)
        tracked_save(found, actor=actor, reason="capacity named in the policy")
    return found


@transaction.atomic
def policy_save(
    *, actor: User, rows: list[bands.BandRow], reason: str = "risk policy"
) -> list[RiskBand]:
    """Replace the policy by ``rows`` (bands kept by pk are updated in place; the
    history keeps every earlier version). Refused as a whole with every reason."""
    _require_staff(actor)
    refuse_nul(bands=[f"{r.label} {' '.join(r.capacities)}" for r in rows])
    found = bands.problems(rows)
    if found:
        raise ValidationError(found)
    existing = {b.pk: b for b in RiskBand.objects.select_for_update()}
    kept = []
    for row in rows:
        band = existing.pop(row.pk, None) if row.pk else None
        band = band or RiskBand()
        band.label = row.label.strip()
        band.min_score, band.max_score = row.min_score, row.max_score
        band.max_expiry_months = row.max_expiry_months
        band.review_every_days = row.review_every_days
        tracked_save(band, actor=actor, reason=reason)
        band.capacities.set([_capacity(c, actor=actor) for c in row.capacities if c.strip()])
        kept.append(band)
    for band in existing.values():
        tracked_delete(band, actor=actor, reason=f"{reason}: band removed")
    return kept


@transaction.atomic
def capacity_grant(
    *, actor: User, username: str, capacity: str, active: bool = True
) -> CapacityHolder:
    """Staff grant (or withdraw, ``active=False``) a signing capacity."""
    _require_staff(actor)
    refuse_nul(username=username, capacity=capacity)
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise ValidationError({"username": [f"{username} is not an active user."]})
    holder, _ = CapacityHolder.objects.select_for_update().get_or_create(
        user=user, capacity=_capacity(capacity, actor=actor), defaults={"active": active}
    )
    if holder.active != active:
        holder.active = active
        tracked_save(
            holder,
            actor=actor,
            reason="capacity granted" if active else "capacity withdrawn",
            update_fields=["active"],
        )
    return holder


def may_review_acceptance(user: User, acceptance: RiskAcceptance) -> bool:
    """The owner, staff, or a writer of the acceptance (the architects of its decisions'
    logs: ``risks.access.can_write_acceptance``), not every organisation architect."""
    if not getattr(user, "is_active", False):
        return False
    return (
        acceptance.owner_id == user.pk or is_staff(user) or can_write_acceptance(user, acceptance)
    )


def acceptance_review(
    *, actor: User, acceptance: RiskAcceptance, note: str = ""
) -> AcceptanceReview:
    """The owner (or staff, or an architect who writes the acceptance) confirms an
    accepted risk still holds (`may_review_acceptance`)."""
    if not may_review_acceptance(actor, acceptance):
        raise PermissionDenied(
            "Only the owner, staff or the architects of this acceptance's logs review it."
        )
    if acceptance.state != RiskAcceptance.State.ACCEPTED:
        raise ValidationError("Only an accepted risk is reviewed on its cadence.")
    refuse_nul(note=note or "")
    return AcceptanceReview.objects.create(
        acceptance=acceptance, reviewed_by=actor, note=(note or "").strip()[:2000]
    )


def review_reminders_send(*, today: date) -> int:
    """Tell each owner of a risk due for review, once per due date (beat, daily)."""
    sent = 0
    for acceptance in due_for_review(today=today):
        hearing = audience("acceptance.review_due", owner=[acceptance.owner])
        due_on = acceptance.review_due_at.date()
        sent += len(
            notify_users(
                users=hearing,
                event="acceptance.review_due",
                key=f"riskpolicy:{acceptance.pk}:review-due:{due_on.isoformat()}",
                template="acceptance-review-due",
                context={
                    "acceptance": acceptance,
                    "due_on": due_on,
                    "url": acceptance.get_absolute_url(),
                },
                about=acceptance,
            )
        )
    return sent
