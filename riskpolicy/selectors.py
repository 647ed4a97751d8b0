"""The "due for review" queue: accepted risks whose last review (or acceptance) is older
than their band's cadence. One query, whatever the number of acceptances."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from risks.access import readable_acceptance_q
from risks.models import RiskAcceptance

from .models import AcceptanceReview, RiskBand

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from config.accounts.models import User


class ReviewDue(TypedDict):
    """What `with_review_due` adds to each acceptance."""

    score: int
    cadence_days: int | None
    last_looked_at: datetime
    review_due_at: datetime  # None where no band applies; never so in `due_for_review`


def with_review_due(
    qs: QuerySet[RiskAcceptance],
) -> QuerySet[WithAnnotations[RiskAcceptance, ReviewDue]]:
    """``qs`` annotated with ``review_due_at`` (None where no band applies)."""
    rating = ExpressionWrapper(F("likelihood") * F("impact"), output_field=IntegerField())
    cadence = RiskBand.objects.filter(
        min_score__lte=OuterRef("score"), max_score__gte=OuterRef("score")
    ).values("review_every_days")[:1]
    last_review = (
        AcceptanceReview.objects.filter(acceptance=OuterRef("pk"))
        .values("acceptance")
        .annotate(last=Max("reviewed_at"))
        .values("last")[:1]
    )
    return qs.annotate(
        score=rating,
        cadence_days=Subquery(cadence, output_field=IntegerField()),
        last_looked_at=Coalesce(
            Subquery(last_review, output_field=DateTimeField()), F("state_changed_at")
        ),
    ).annotate(
        review_due_at=ExpressionWrapper(
            F("last_looked_at")
            + F("cadence_days") * Value(timedelta(days=1), output_field=DurationField()),
            output_field=DateTimeField(),
        )
    )


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def due_for_review(
    *, today: date, owner: User | None = None, reader: User | None = None
) -> QuerySet[WithAnnotations[RiskAcceptance, ReviewDue]]:
    """Accepted acceptances due for review by ``today`` (of ``owner``, and only those
    ``reader`` reads, if given: every page and list passes its user)."""
    qs = RiskAcceptance.objects.filter(state=RiskAcceptance.State.ACCEPTED)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if reader is not None:
        qs = qs.filter(readable_acceptance_q(reader))
    return (
        with_review_due(qs)
        .filter(review_due_at__lte=_end_of(today))
        .select_related("owner")
        .order_by("review_due_at", "id")
    )
