import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from simple_history import register
from simple_history.models import HistoricalRecords

from config.history import LedgerHistoricalRecords


class User(AbstractUser):
    """Our user. Roles are groups (see `roles.py`); a signer's printed name is `display_name`."""

    display_name = models.CharField(
        max_length=150, blank=True, help_text="How your name is printed on signatures."
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="Times are shown in this zone; empty means the server's TIME_ZONE.",
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.printed_name

    @property
    def printed_name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


# History on the custom user model goes through register() (simple-history's advice).
register(User, app="config.accounts", excluded_fields=["password", "last_login"])


class ApiToken(models.Model):
    """A per-user API token. Only its SHA-256 is stored; the token is shown once."""

    PREFIX = "dl_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # Looked up by digest on every API request (HashedTokenAuthentication).
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        max_length=12, editable=False, help_text="First characters, to tell tokens apart."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PasswordResetRequest(models.Model):
    """One request for a password-reset email: the throttle counts these (per address
    and per client address, in a sliding window). The address is kept as a digest."""

    email_digest = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # password_reset_request_allowed: requests for one address in the window.
            models.Index(fields=["email_digest", "created_at"], name="pwreset_email_recent"),
            # password_reset_request_allowed: requests from one client in the window.
            models.Index(fields=["ip_address", "created_at"], name="pwreset_ip_recent"),
        ]

    def __str__(self) -> str:
        return f"reset request {self.created_at:%Y-%m-%d %H:%M} from {self.ip_address}"

    @staticmethod
    def digest(email: str) -> str:
        return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class OidcIdentity(models.Model):
    """The provider account (issuer + subject) a user signs in with by OpenID Connect.

    A user with one is an SSO user: signing needs a fresh sign-in at that provider
    (risks.sso_signing). PROTECT: the link outlives neither side silently.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oidc_identity"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # oidc_user_for_claims: one ledger user per provider account.
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class OidcRefusal(models.Model):
    """A refused OpenID Connect callback (bad state, nonce, audience, signature, stale
    auth_time, wrong subject): the security record staff read in the admin."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    purpose = models.CharField(max_length=20)  # "login" or "sign"
    reason = models.CharField(max_length=40)
    detail = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # What the refused round trip was for (e.g. {"acceptance": 12, "digest": "…"}).
    context = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.purpose} refused ({self.reason}) at {self.at:%Y-%m-%d %H:%M}"


class Team(models.Model):
    """A team of people that owns decision logs (adr.DecisionLog.team). A member's role
    in the team (Membership.role) holds for the team's logs only; the organisation-wide
    roles stay groups (roles.py)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = LedgerHistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One person in one team, with one role there (architect / stakeholder / auditor)."""

    class Role(models.TextChoices):
        ARCHITECT = "architect", "Architect"
        STAKEHOLDER = "stakeholder", "Stakeholder"
        AUDITOR = "auditor", "Auditor"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="team_memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = LedgerHistoricalRecords()

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            # One role per person per team (teams.membership_set).
            models.UniqueConstraint(fields=["team", "user"], name="team_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.team}"
