from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from config.history import LedgerHistoricalRecords
from config.markup import MarkdownFieldsMixin


class DecisionLog(models.Model):
    """A named log (per system or team) with its own key prefix and numbering."""

    key = models.CharField(
        max_length=12,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z][A-Z0-9]{1,11}$", "2–12 capital letters or digits, starting with a letter."
            )
        ],
        help_text="Prefix of decision numbers, e.g. AUTH for AUTH-0007.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # The last number handed out; locked and incremented by decision_create (gap-free).
    last_number = models.PositiveIntegerField(default=0, editable=False)
    # Optimistic concurrency (config.concurrency): +1 on every edit a person makes.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The owning team (None: an organisation-wide log). Who writes and reads: adr.access.
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="logs",
        help_text="The team that owns the log; empty for an organisation-wide log.",
    )
    private = models.BooleanField(
        default=False, help_text="Readable only by the team's members (and staff)."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.key} — {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("adr:log-detail", kwargs={"key": self.key})

    def clean(self) -> None:
        if self.private and self.team_id is None:
            raise ValidationError({"private": "Only a team's log can be private."})


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Decision(MarkdownFieldsMixin, models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        DEFERRED = "deferred", "Deferred"
        DEPRECATED = "deprecated", "Deprecated"
        SUPERSEDED = "superseded", "Superseded"

    MARKDOWN_FIELDS = (
        "context",
        "outcome_rationale",
        "consequences_good",
        "consequences_bad",
        "consequences_neutral",
        "confirmation",
        "more_information",
    )

    log = models.ForeignKey(DecisionLog, on_delete=models.PROTECT, related_name="decisions")
    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    decided_on = models.DateField(null=True, blank=True, help_text="When the decision was taken.")
    deciders = models.TextField(blank=True, help_text="Names, one per line or comma-separated.")
    consulted = models.TextField(blank=True)
    informed = models.TextField(blank=True)
    context = models.TextField("context and problem", blank=True)
    drivers = models.TextField(
        "decision drivers and constraints",
        blank=True,
        help_text="One per line, in order of importance.",
    )
    outcome_rationale = models.TextField("why this outcome", blank=True)
    consequences_good = models.TextField("good consequences", blank=True)
    consequences_bad = models.TextField("bad consequences", blank=True)
    # Consequences a file states without saying good or bad (Nygard's free text).
    consequences_neutral = models.TextField("neutral consequences", blank=True)
    confirmation = models.TextField(blank=True)
    more_information = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="decisions")
    revisit_by = models.DateField(null=True, blank=True)
    needs_review = models.BooleanField(default=False)
    needs_review_reason = models.CharField(max_length=300, blank=True)
    source_path = models.CharField(
        max_length=300, blank=True, help_text="File this decision was imported from, if any."
    )
    # The ADR file's own name (e.g. adr-012-cache.md): export writes it back, links use it.
    source_file = models.CharField(max_length=255, blank=True)
    # How the file said what it said (adr.interop.parse.ParsedADR.source_meta): verbatim
    # metadata values, unknown front matter, layout; the export writes them back.
    source_meta = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Optimistic concurrency (config.concurrency): +1 on every edit a person makes.
    version = models.PositiveIntegerField(default=1, editable=False)

    context_html = models.TextField(blank=True, editable=False)
    outcome_rationale_html = models.TextField(blank=True, editable=False)
    consequences_good_html = models.TextField(blank=True, editable=False)
    consequences_bad_html = models.TextField(blank=True, editable=False)
    consequences_neutral_html = models.TextField(blank=True, editable=False)
    confirmation_html = models.TextField(blank=True, editable=False)
    more_information_html = models.TextField(blank=True, editable=False)

    # Full-text search document, written by the database itself (trigger in the
    # migration named *_search), read through a GIN index by the app's search.py.
    search_document = SearchVectorField(null=True, editable=False)

    history = LedgerHistoricalRecords(
        m2m_fields=[tags],
        excluded_fields=[f"{f}_html" for f in MARKDOWN_FIELDS] + ["updated_at", "search_document"],
    )

    class Meta:
        ordering = ["log__key", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["log", "number"], name="decision_number_unique_per_log"
            ),
        ]
        indexes = [
            # decision list filtered by status, newest first.
            models.Index(fields=["status", "-updated_at"], name="decision_status_updated"),
            # decision list without a log (adr.selectors.decision_list: ORDER BY
            # updated_at DESC, id DESC LIMIT 50) and the search's candidates
            # (config.search.document_search: the first matches in that order).
            models.Index(fields=["-updated_at", "-id"], name="decision_recent"),
            # The header's inbox count on every page (adr.inbox: decisions needing review
            # in the user's logs) and the list's "Needs review" filter: few rows, so a
            # partial index instead of a scan of every decision per page.
            models.Index(
                fields=["log", "-updated_at"],
                name="decision_needs_review",
                condition=models.Q(needs_review=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("adr:decision-detail", kwargs={"key": self.log.key, "number": self.number})

    @property
    def reference(self) -> str:
        return f"{self.log.key}-{self.number:04d}"

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or "decision"

    @property
    def drivers_list(self) -> list[str]:
        return [
            line.strip().lstrip("-*").strip() for line in self.drivers.splitlines() if line.strip()
        ]


class Option(MarkdownFieldsMixin, models.Model):
    MARKDOWN_FIELDS = ("description", "findings")

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    good = models.TextField("good arguments", blank=True, help_text="One per line.")
    neutral = models.TextField("neutral arguments", blank=True, help_text="One per line.")
    bad = models.TextField("bad arguments", blank=True, help_text="One per line.")
    findings = models.TextField("implementation findings", blank=True)
    verdict = models.CharField(max_length=500, blank=True)
    chosen = models.BooleanField(default=False)

    description_html = models.TextField(blank=True, editable=False)
    findings_html = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["description_html", "findings_html"])

    class Meta:
        ordering = ["decision", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision"],
                condition=models.Q(chosen=True),
                name="one_chosen_option",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def _lines(text: str) -> list[str]:
        return [line.strip().lstrip("-*").strip() for line in text.splitlines() if line.strip()]

    @property
    def good_list(self) -> list[str]:
        return self._lines(self.good)

    @property
    def neutral_list(self) -> list[str]:
        return self._lines(self.neutral)

    @property
    def bad_list(self) -> list[str]:
        return self._lines(self.bad)


class Criterion(models.Model):
    """A row of the decision matrix."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True)
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["decision", "position", "id"]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return self.name


class MatrixCell(models.Model):
    """One cell of the matrix: how an option fares on a criterion (text + optional score)."""

    SCORE_MIN, SCORE_MAX = 0, 5

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="cells")
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="cells")
    text = models.CharField(max_length=500, blank=True)
    score = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)],
        help_text="0 (worst) to 5 (best); leave empty for no score.",
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["criterion", "option"], name="one_cell_per_pair"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=5),
                name="cell_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion} × {self.option}"


class SensitivityNote(models.Model):
    """'The matrix shifts if…': a constraint the decision rests on, which may be watched."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="sensitivity_notes"
    )
    position = models.PositiveIntegerField(default=0)
    condition = models.CharField(max_length=300, help_text="e.g. 'Not on Vercel?'")
    consequence = models.CharField(
        max_length=500, blank=True, help_text="e.g. 'Option 1's cost surface disappears.'"
    )
    favours = models.ForeignKey(
        Option,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The option this would favour, if any.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["decision", "position", "id"]

    def __str__(self) -> str:
        return self.condition


class DecisionRelation(models.Model):
    class Kind(models.TextChoices):
        SUPERSEDES = "supersedes", "Supersedes"
        AMENDS = "amends", "Amends"
        RELATES_TO = "relates_to", "Relates to"

    INVERSE_LABEL: dict[str, str] = {
        Kind.SUPERSEDES: "Superseded by",
        Kind.AMENDS: "Amended by",
        Kind.RELATES_TO: "Related to",
    }

    source = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    note = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="relation_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display().lower()} {self.target}"

    @property
    def inverse_label(self) -> str:
        return self.INVERSE_LABEL[self.kind]


class LogGitSource(models.Model):
    """A log bound to a folder of ADR files in a git repository (`sync_adrs`)."""

    log = models.OneToOneField(DecisionLog, on_delete=models.CASCADE, related_name="git_source")
    repo_url = models.CharField(max_length=500, help_text="A local path or a URL git can reach.")
    branch = models.CharField(max_length=200, default="main")
    folder = models.CharField(max_length=300, blank=True, help_text="e.g. docs/adr")
    push_branch = models.CharField(max_length=200, default="decision-ledger")
    export_format = models.CharField(max_length=10, default="madr")
    # The commit last imported; the next sync imports what changed since.
    last_sha = models.CharField(max_length=40, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.log.key} ← {self.repo_url}@{self.branch}:{self.folder or '.'}"


class ImportJob(models.Model):
    """A big zip import run by a Celery worker (preview, then import), so that no web
    request parses hundreds of files; the page polls its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    log = models.ForeignKey(DecisionLog, on_delete=models.CASCADE, related_name="import_jobs")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    preview = models.BooleanField(default=True, help_text="A dry run: report, save nothing.")
    name = models.CharField(max_length=200)
    data = models.BinaryField()
    digest = models.CharField(max_length=64)
    choices = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    files_done = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{'preview' if self.preview else 'import'} of {self.name} into {self.log.key}"
