"""A policy is a set of rating bands; here it is validated as a whole and looked up."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from .models import RiskBand


@dataclass
class BandRow:
    """One band as the editor sends it (``pk`` None for a new band)."""

    label: str
    min_score: int
    max_score: int
    capacities: list[str] = field(default_factory=list)
    max_expiry_months: int = 12
    review_every_days: int = 90
    pk: int | None = None


def problems(rows: list[BandRow]) -> list[str]:
    """Why ``rows`` is not a valid policy (empty: valid). Every score 1–25 must be in
    exactly one band, each band needs a capacity, and no band may allow an expiry beyond
    the organisation's maximum (LEDGER_MAX_ACCEPTANCE_MONTHS)."""
    found: list[str] = []
    limit = settings.LEDGER_MAX_ACCEPTANCE_MONTHS
    for row in rows:
        name = row.label.strip() or f"{row.min_score}–{row.max_score}"
        if not row.label.strip():
            found.append(f"The band {name} needs a name.")
        if not (1 <= row.min_score <= row.max_score <= 25):
            found.append(f"The band {name} must cover scores between 1 and 25, low to high.")
        if not [c for c in row.capacities if c.strip()]:
            found.append(f"The band {name} has no signing capacity: name at least one.")
        if row.max_expiry_months > limit:
            found.append(
                f"The band {name} allows {row.max_expiry_months} months, above the "
                f"organisation's maximum of {limit} months."
            )
        if row.max_expiry_months < 1 or row.review_every_days < 1:
            found.append(f"The band {name} needs an expiry and a review cadence of at least 1.")
    if found or not rows:
        return found or ["A policy needs at least one band."]
    covered: dict[int, str] = {}
    for row in sorted(rows, key=lambda r: r.min_score):
        for score in range(row.min_score, row.max_score + 1):
            if score in covered:
                found.append(
                    f"The bands {covered[score]} and {row.label} overlap at score {score}."
                )
                break
            covered[score] = row.label
    missing = [s for s in range(1, 26) if s not in covered]
    if missing:
        found.append(f"Scores {_ranges(missing)} are in no band.")
    return found


def _ranges(scores: list[int]) -> str:
    """[5, 6, 7, 10] → "5–7, 10"."""
    groups: list[list[int]] = []
    for score in scores:
        if groups and score == groups[-1][-1] + 1:
            groups[-1].append(score)
        else:
            groups.append([score])
    return ", ".join(f"{g[0]}–{g[-1]}" if len(g) > 1 else str(g[0]) for g in groups)


def band_for(score: int) -> RiskBand | None:
    return (
        RiskBand.objects.filter(min_score__lte=score, max_score__gte=score)
        .prefetch_related("capacities")
        .first()
    )
