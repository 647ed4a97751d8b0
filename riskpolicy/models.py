"""Capacities, who holds them, rating bands and reviews of accepted risks."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from config.history import LedgerHistoricalRecords
from risks.models import RiskAcceptance

SCORE = [MinValueValidator(1), MaxValueValidator(25)]


class Capacity(models.Model):
    """A signing authority: "security lead", "CISO"…"""

    name = models.CharField(max_length=100, unique=True)
    history = LedgerHistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "capacities"

    def __str__(self) -> str:
        return self.name


class CapacityHolder(models.Model):
    """That a person holds a capacity (granted by staff; withdrawn, never deleted)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    capacity = models.ForeignKey(Capacity, on_delete=models.PROTECT, related_name="holders")
    active = models.BooleanField(default=True)
    history = LedgerHistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "capacity"], name="one_holding_per_capacity")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.capacity_id}"


class RiskBand(models.Model):
    """Scores ``min_score``–``max_score`` (likelihood × impact, 1–25)."""

    label = models.CharField(max_length=40)
    min_score = models.PositiveSmallIntegerField(validators=SCORE)
    max_score = models.PositiveSmallIntegerField(validators=SCORE)
    capacities = models.ManyToManyField(Capacity, related_name="+")
    max_expiry_months = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    review_every_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    history = LedgerHistoricalRecords(m2m_fields=[capacities])

    class Meta:
        ordering = ["min_score"]

    def __str__(self) -> str:
        return f"{self.label} ({self.min_score}–{self.max_score})"


class AcceptanceReview(models.Model):
    """That ``reviewed_by`` reviewed an accepted risk on its cadence (an audit row)."""

    acceptance = models.ForeignKey(RiskAcceptance, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [
            # selectors.due_for_review: latest review per acceptance
            models.Index(fields=["acceptance", "-reviewed_at"], name="acc_review_latest"),
        ]

    def __str__(self) -> str:
        return f"review of {self.acceptance_id} by {self.reviewed_by_id}"
