"""What the policy asks of one acceptance: registered as risks' submit check and saved
hook, so submitting — and any edit of a submitted or signed acceptance that moves it into
another band — is checked against the band its rating falls in."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from config.clock import ledger_today
from risks.models import RequiredSignatory, RiskAcceptance
from risks.workflow import add_months

from .bands import band_for
from .models import CapacityHolder


def problems_for(acceptance: RiskAcceptance) -> list[str]:
    """What is missing for ``acceptance`` under the policy (empty: nothing, or no policy)."""
    score = acceptance.likelihood * acceptance.impact
    band = band_for(score)
    if band is None:
        return []
    name = f"A {band.label.lower()} risk (score {score})"
    found = []
    users = RequiredSignatory.objects.filter(acceptance=acceptance).values("user_id")
    held = set(
        CapacityHolder.objects.filter(user_id__in=users, active=True).values_list(
            "capacity_id", flat=True
        )
    )
    for capacity in band.capacities.all():
        if capacity.pk not in held:
            found.append(
                f"{name} needs a signatory with the capacity “{capacity.name}”; none of the "
                "named signatories holds it."
            )
    if acceptance.expires_on:
        latest = add_months(ledger_today(), band.max_expiry_months)
        if acceptance.expires_on > latest:
            found.append(
                f"{name} may be accepted for at most {band.max_expiry_months} months: "
                f"expire it on {latest.isoformat()} or earlier."
            )
    return found


def submit_check(acceptance: RiskAcceptance) -> str | None:
    found = problems_for(acceptance)
    return " ".join(found) if found else None


def _rating_before_this_edit(acceptance: RiskAcceptance) -> int | None:
    """The rating of the last version before the current one (an edit bumps the version
    once, and may write several history rows at the new version)."""
    row = (
        acceptance.history.filter(version__lt=acceptance.version)
        .order_by("-history_id")
        .values_list("likelihood", "impact")
        .first()
    )
    return row[0] * row[1] if row else None


def recheck_after_edit(acceptance: RiskAcceptance, actor) -> None:
    """An edit of a submitted or signed acceptance that moves its rating into another
    band must satisfy the new band, in the same edit (its signatures are voided as for
    any content change)."""
    if acceptance.state == RiskAcceptance.State.DRAFT:
        return
    previous = _rating_before_this_edit(acceptance)
    if previous is None:
        return
    now = band_for(acceptance.likelihood * acceptance.impact)
    before = band_for(previous)
    if now is None or (before is not None and before.pk == now.pk):
        return
    found = problems_for(acceptance)
    if found:
        raise ValidationError([f"This change moves the risk into the band “{now.label}”.", *found])
