"""Triggers watch the conditions a deferred decision or a risk acceptance rests on.

A trigger is *due* when `next_check_at <= now`: the sweep (`triggers.sweep.sweep`)
claims due rows with `SELECT … FOR UPDATE SKIP LOCKED`, evaluates them, records an
`Evaluation`, and fires at most once per arming (`FiredEvent` is unique per
(trigger, generation)).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from config.clock import ledger_today, ledger_zone
from config.history import LedgerHistoricalRecords


def local_zone() -> ZoneInfo:
    return ledger_zone()


def start_of_day(day: date) -> datetime:
    """The first instant of `day` in settings.TIME_ZONE, as an aware UTC datetime.

    zoneinfo picks the right offset for that wall-clock time, so this is correct on
    daylight-saving change days (midnight exists on both in Europe/Berlin).
    """
    local = datetime.combine(day, time(0, 0), tzinfo=local_zone())
    return local.astimezone(ZoneInfo("UTC"))


def local_today(now: datetime | None = None) -> date:
    return ledger_today(now)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Initiative(models.Model):
    """Another team's work a decision waits for (e.g. the RBAC initiative)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200, unique=True)
    team = models.CharField("owning team", max_length=200, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    target_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Optimistic concurrency (config.concurrency): +1 on every edit a person makes.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("triggers:initiative-detail", kwargs={"pk": self.pk})


class Trigger(models.Model):
    class Kind(models.TextChoices):
        DATE = "date", "Date"
        INITIATIVE = "initiative", "Initiative done"
        METRIC = "metric", "Metric threshold"
        WEBHOOK = "webhook", "Webhook"
        EXPIRY = "expiry", "Acceptance expiry"
        MITIGATION_OVERDUE = "mitigation_overdue", "Mitigation overdue"

    class State(models.TextChoices):
        ARMED = "armed", "Armed"
        WARNED = "warned", "Warned"
        FIRED = "fired", "Fired"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"
        DISARMED = "disarmed", "Disarmed"

    LIVE_STATES = (State.ARMED, State.WARNED)
    # Kinds the app creates and keeps in step by itself (from the acceptance).
    AUTOMATIC_KINDS = (Kind.EXPIRY, Kind.MITIGATION_OVERDUE)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.ARMED)
    state_reason = models.CharField(max_length=500, blank=True)
    justification = models.TextField(
        blank=True, help_text="Why this deferral is reasonable until the trigger fires."
    )
    # A new generation starts with every (re-)arming: one FiredEvent per generation.
    generation = models.PositiveIntegerField(default=1)
    # When the sweep must look at this trigger next (a UTC instant); NULL = nothing due.
    next_check_at = models.DateTimeField(null=True, blank=True)
    # When a date/expiry/mitigation trigger fires if nothing changes (UTC); set on save.
    deadline_at = models.DateTimeField(null=True, blank=True, editable=False)

    decisions = models.ManyToManyField("adr.Decision", blank=True, related_name="triggers")
    # PROTECT (config.audit): a trigger's evaluations and fired events are audit rows.
    risk_acceptance = models.ForeignKey(
        "risks.RiskAcceptance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triggers",
    )
    sensitivity_note = models.ForeignKey(
        "adr.SensitivityNote",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="triggers",
    )
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.PROTECT, related_name="triggers"
    )
    # PROTECT: removing a mitigation retires its trigger first (triggers.removal).
    mitigation = models.ForeignKey(
        "risks.Mitigation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triggers",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_triggers"
    )
    extra_addresses = models.TextField(
        blank=True, help_text="More email addresses to tell, one per line."
    )
    escalation_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
    )
    escalation_email = models.EmailField(blank=True)

    # Bookkeeping (written by the sweep).
    warnings_sent = models.JSONField(default=list, blank=True, editable=False)
    fired_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminders_sent = models.PositiveIntegerField(default=0, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    probe_alerts = models.PositiveIntegerField(default=0, editable=False)
    # The error of the latest evaluation if it failed ("" once one succeeds); shown to staff.
    last_error = models.TextField(blank=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Optimistic concurrency (config.concurrency): +1 on every edit a person makes.
    version = models.PositiveIntegerField(default=1, editable=False)

    webhook_secret = models.CharField(max_length=64, default=new_secret, editable=False)
    # Full-text search document, written by the database itself (trigger in migration
    # 0004_search), read through a GIN index by triggers/search.py.
    search_document = SearchVectorField(null=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Not a field: set by triggers.selectors.trigger_detail (the latest, newest first).
    recent_evaluations: list[Evaluation]

    history = LedgerHistoricalRecords(
        m2m_fields=[decisions, watchers],
        excluded_fields=["webhook_secret", "last_checked_at", "search_document"],
    )

    class Meta:
        ordering = ["next_check_at", "name"]
        indexes = [
            # triggers.sweep._claim_and_handle: WHERE next_check_at <= now ORDER BY next_check_at
            # FOR UPDATE SKIP LOCKED. Partial: most triggers (done, or event-driven) are NULL.
            models.Index(
                fields=["next_check_at"],
                name="trigger_due",
                condition=models.Q(next_check_at__isnull=False),
            ),
            # Trigger list filtered by kind / state.
            models.Index(fields=["state", "kind"], name="trigger_state_kind"),
            # Trigger list "due within N days" and the upcoming-deadlines timeline.
            models.Index(fields=["deadline_at"], name="trigger_deadline"),
            # Triggers page (triggers.selectors.trigger_list: ORDER BY deadline_at ASC
            # NULLS LAST, next_check_at, name, id LIMIT 50; ASC is NULLS LAST already).
            models.Index(
                fields=["deadline_at", "next_check_at", "name", "id"], name="trigger_list_order"
            ),
            # The search's candidates (triggers.search: ORDER BY name, id LIMIT n).
            models.Index(fields=["name", "id"], name="trigger_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.deadline_at = self.compute_deadline()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"params", "next_check_at"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "deadline_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("triggers:detail", kwargs={"pk": self.pk})

    def compute_deadline(self) -> datetime | None:
        """When this trigger fires if nothing changes: a date, an expiry, a mitigation's due."""
        if self.kind in (self.Kind.DATE, self.Kind.EXPIRY):
            return self.fire_at
        if self.kind == self.Kind.MITIGATION_OVERDUE and self.mitigation is not None:
            due = self.mitigation.due_on
            return start_of_day(due + timedelta(days=1)) if due else None
        return None

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES

    @property
    def fire_day(self) -> date | None:
        """The day a date/expiry trigger fires (from params), or None."""
        raw = (self.params or {}).get("date")
        if not raw:
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            return None

    @property
    def fire_at(self) -> datetime | None:
        day = self.fire_day
        return start_of_day(day) if day else None

    @property
    def lead_days(self) -> list[int]:
        raw = (self.params or {}).get("lead_days")
        if raw is None:
            raw = settings.LEDGER_DEFAULT_LEAD_DAYS
        return sorted({int(d) for d in raw if int(d) > 0}, reverse=True)

    def warning_instants(self) -> list[tuple[int, datetime]]:
        day = self.fire_day
        if not day:
            return []
        return [(d, start_of_day(day - timedelta(days=d))) for d in self.lead_days]

    def extra_address_list(self) -> list[str]:
        return [
            line.strip().lower()
            for line in self.extra_addresses.replace(",", "\n").splitlines()
            if line.strip()
        ]

    @property
    def webhook_path(self) -> str:
        return reverse("hooks:trigger", kwargs={"uuid": self.uuid})


class Evaluation(models.Model):
    """One look at a trigger's condition, kept for the evaluation log."""

    class Outcome(models.TextChoices):
        NOT_MET = "not_met", "Not met"
        WARNED = "warned", "Warning sent"
        FIRED = "fired", "Fired"
        ERROR = "error", "Error"

    # PROTECT (config.audit): an evaluation outlives any attempt to delete its trigger.
    trigger = models.ForeignKey(Trigger, on_delete=models.PROTECT, related_name="evaluations")
    at = models.DateTimeField(default=timezone.now)
    observed = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Trigger detail: the evaluation log, newest first.
            models.Index(fields=["trigger", "-at"], name="evaluation_log"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id} {self.outcome} at {self.at:%Y-%m-%d %H:%M}"


class FiredEvent(models.Model):
    """A trigger fired: when, why, and what people did about it."""

    # PROTECT (config.audit), here and on the users who acknowledged or resolved it.
    trigger = models.ForeignKey(Trigger, on_delete=models.PROTECT, related_name="fired_events")
    generation = models.PositiveIntegerField()
    fired_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            # Exactly once: a trigger fires at most once per arming, whatever races.
            models.UniqueConstraint(fields=["trigger", "generation"], name="fire_once_per_arming"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} fired at {self.fired_at:%Y-%m-%d %H:%M}"


class WebhookDelivery(models.Model):
    """Signatures already accepted, so a replayed request is refused (pruned by the sweep)."""

    # PROTECT (config.audit): only the sweep's prune removes a delivery (history keeps it).
    trigger = models.ForeignKey(Trigger, on_delete=models.PROTECT, related_name="deliveries")
    signature = models.CharField(max_length=64, unique=True)
    timestamp = models.BigIntegerField()
    received_at = models.DateTimeField(default=timezone.now)
    # Every model has history, this replay guard too: who called when stays on record
    # after the sweep prunes the row (the FiredEvent remains the audit of the firing).
    history = HistoricalRecords()

    class Meta:
        indexes = [
            # triggers.sweep._prune_deliveries: DELETE WHERE received_at < cutoff.
            models.Index(fields=["received_at"], name="webhook_delivery_age"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id} at {self.timestamp}"
