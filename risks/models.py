from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from adr.models import Decision
from config.history import LedgerHistoricalRecords
from config.markup import MarkdownFieldsMixin


class RiskAcceptance(MarkdownFieldsMixin, models.Model):
    """A signed document that knowingly keeps a risk live."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING = "awaiting", "Awaiting signatures"
        ACCEPTED = "accepted", "Accepted"
        TRIGGERED = "triggered", "Triggered"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        REMEDIATED = "remediated", "Remediated"

    class Source(models.TextChoices):
        PENTEST = "pentest", "Penetration test"
        AUDIT = "audit", "Audit"
        INTERNAL = "internal", "Internal review"
        INCIDENT = "incident", "Incident"
        OTHER = "other", "Other"

    MARKDOWN_FIELDS = ("risk_statement", "scope", "residual_risk")

    title = models.CharField(max_length=300)
    finding_source = models.CharField(max_length=12, choices=Source.choices, default=Source.PENTEST)
    finding_reference = models.CharField(max_length=200, blank=True)
    risk_statement = models.TextField()
    likelihood = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], default=3
    )
    impact = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], default=3
    )
    scope = models.TextField(blank=True)
    residual_risk = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_acceptances",
        help_text="The person accountable for this risk.",
    )
    decisions = models.ManyToManyField(Decision, blank=True, related_name="risk_acceptances")
    expires_on = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    state_reason = models.CharField(max_length=500, blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Signing round: +1 on every submission and every edit that voids signatures, so
    # emails ("signature requested, round 3") and signatures name the version they are for.
    signing_round = models.PositiveIntegerField(default=0, editable=False)
    # Optimistic concurrency (config.concurrency): +1 on every edit a person makes.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    risk_statement_html = models.TextField(blank=True, editable=False)
    scope_html = models.TextField(blank=True, editable=False)
    residual_risk_html = models.TextField(blank=True, editable=False)

    # Full-text search document, written by the database itself (trigger in the
    # migration named *_search), read through a GIN index by the app's search.py.
    search_document = SearchVectorField(null=True, editable=False)

    history = LedgerHistoricalRecords(
        m2m_fields=[decisions],
        excluded_fields=[
            "risk_statement_html",
            "scope_html",
            "residual_risk_html",
            "search_document",
        ],
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(likelihood__gte=1, likelihood__lte=5)
                & models.Q(impact__gte=1, impact__lte=5),
                name="acceptance_scores_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "expires_on"], name="acceptance_state_expiry"),
            # acceptance list (risks.selectors.acceptance_list: ORDER BY created_at DESC,
            # id DESC LIMIT 50) and the search's candidates in that order.
            models.Index(fields=["-created_at", "-id"], name="acceptance_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("risks:detail", kwargs={"pk": self.pk})

    @property
    def rating(self) -> int:
        return self.likelihood * self.impact

    @property
    def rating_label(self) -> str:
        score = self.rating
        if score >= 20:
            return "critical"
        if score >= 12:
            return "high"
        if score >= 6:
            return "medium"
        return "low"


class Mitigation(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PLACE = "in_place", "In place"
        VERIFIED = "verified", "Verified"

    acceptance = models.ForeignKey(
        RiskAcceptance, on_delete=models.CASCADE, related_name="mitigations"
    )
    position = models.PositiveIntegerField(default=0)
    description = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mitigations",
    )
    due_on = models.DateField(null=True, blank=True, help_text="For planned mitigations.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["acceptance", "position", "id"]

    def __str__(self) -> str:
        return self.description[:80]


class RequiredSignatory(models.Model):
    """A person who must sign, and what their signature means ('risk owner', 'security')."""

    acceptance = models.ForeignKey(
        RiskAcceptance, on_delete=models.CASCADE, related_name="signatories"
    )
    position = models.PositiveIntegerField(default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatory_lines"
    )
    meaning = models.CharField(max_length=100, help_text="e.g. risk owner, security lead")
    history = HistoricalRecords()

    class Meta:
        ordering = ["acceptance", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["acceptance", "user"], name="one_line_per_signer"),
        ]
        verbose_name_plural = "required signatories"

    def __str__(self) -> str:
        return f"{self.user} ({self.meaning})"


class Signature(models.Model):
    """An electronic signature: who, when, in what capacity, bound to a content digest,
    and chained to the previous signature of the same document."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", "Approved"
        DECLINE = "decline", "Declined"

    acceptance = models.ForeignKey(
        RiskAcceptance, on_delete=models.PROTECT, related_name="signatures"
    )
    # The line signed under. A signature is never edited (config.audit): when the line is
    # removed the id stays, unconstrained, as history rows keep theirs.
    signatory = models.ForeignKey(
        RequiredSignatory,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="signatures",
    )
    # PROTECT: a user who has signed anything cannot be deleted, only deactivated.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=100)
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    reason = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    auth_method = models.CharField(max_length=60, default="password re-entered")
    content_digest = models.CharField(max_length=64)
    signing_round = models.PositiveIntegerField(default=0)
    previous_hash = models.CharField(max_length=64, blank=True)
    signature_hash = models.CharField(max_length=64, unique=True)
    void = models.BooleanField(default=False)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["acceptance", "signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.printed_name} — {self.get_verdict_display()} ({self.meaning})"


class SigningAttempt(models.Model):
    """Every attempt to sign, including wrong passwords (the failures are the point)."""

    # PROTECT (config.audit): attempts, failed ones above all, outlive their document and user.
    acceptance = models.ForeignKey(
        RiskAcceptance, on_delete=models.PROTECT, related_name="signing_attempts"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"], name="signing_attempts_recent")]

    def __str__(self) -> str:
        return f"{self.user} at {self.at:%Y-%m-%d %H:%M} ({'ok' if self.succeeded else 'failed'})"


from .ledger_models import LedgerEvent  # noqa: E402, F401  (the ledger chain's table)


class SignatureSsoEvidence(models.Model):
    """How an SSO signer authenticated for one signature (risks.sso_signing): the
    provider (issuer), the account (subject) and when they signed in there (auth_time).

    The signature's `auth_method` names the digest of these three values, and the
    signature hash covers `auth_method`, so the chain covers this evidence too.
    """

    # PROTECT (config.audit): evidence outlives nothing it attests.
    signature = models.OneToOneField(
        Signature, on_delete=models.PROTECT, related_name="sso_evidence"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    auth_time = models.DateTimeField()
    digest = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}, signed in {self.auth_time:%Y-%m-%d %H:%M:%S}"
