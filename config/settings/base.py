"""Settings shared by every environment. Values that differ come from the environment.

Every setting that a deployment changes is read here through django-environ, so
`DATABASE_URL`, `CELERY_BROKER_URL`, `EMAIL_URL`, `SECRET_KEY`, `ALLOWED_HOSTS`…
work the same under dev, test and production.
"""

import contextlib
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "django_htmx",
    "axes",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "config.accounts",
    "config.notifications",
    "config.calendar",
    "config.inapp",
    "config.preferences",
    "config",
    "adr",
    "risks",
    "triggers",
    "triggers.channels",
    "comments",
    "reviews",
    "riskpolicy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware so that error pages carry the header too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL byte in a URL is a 400 (PostgreSQL text cannot hold it).
    "config.middleware.RejectNulBytesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.accounts.middleware.LoginRequiredMiddleware",
    "config.accounts.middleware.UserTimezoneMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # The one date and date-time format (config.dates), in every template.
            "builtins": ["config.templatetags.ledger_dates"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.accounts.context_processors.roles",
                "config.accounts.context_processors.oidc",
                "config.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ledger.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the permission filters make a list's planned cost large enough
    # to cross jit_above_cost at organisation scale, and compiling took 830 ms of the
    # triggers page's 1.5 s count (docs/benchmarks.md); short OLTP queries never win it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process, the worker and beat share one file.
    # IMMEDIATE transactions take the write lock up front: a transaction that read
    # first and wrote later would otherwise fail at once with "database is locked"
    # when another process writes, whatever the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # 12 characters or more, on password change and reset.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A reset link is signed (SECRET_KEY), single-use (it hashes the password it replaces)
# and expires after an hour.
PASSWORD_RESET_TIMEOUT = 60 * 60
# Reset emails: at most this many per address and per client address in the window.
LEDGER_PASSWORD_RESET_PER_ADDRESS = 3
LEDGER_PASSWORD_RESET_PER_CLIENT = 10
LEDGER_PASSWORD_RESET_WINDOW_SECONDS = 60 * 60
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Security baseline ------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Typed so that the OIDC form-action below may append to a directive.
CONTENT_SECURITY_POLICY: dict[str, dict[str, list[object]]] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# django-axes: lock out a (username, IP) pair, never a username alone, so that an
# attacker elsewhere cannot lock a real user out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The client address comes from X-Forwarded-For only when the request arrives from one
# of our own proxies (addresses or networks, comma-separated); otherwise REMOTE_ADDR.
# Behind a proxy, leaving this empty makes every login come from the proxy's address.
LEDGER_TRUSTED_PROXIES = env.list("LEDGER_TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "config.accounts.client_ip.client_ip"
AXES_VERBOSE = False

# --- Single sign-on (OpenID Connect; README "Single sign-on") ------------------
# Off unless the discovery URL and client id are set; local accounts stay on either way.
LEDGER_OIDC_DISCOVERY_URL = env.str("LEDGER_OIDC_DISCOVERY_URL", default="")
LEDGER_OIDC_CLIENT_ID = env.str("LEDGER_OIDC_CLIENT_ID", default="")
LEDGER_OIDC_CLIENT_SECRET = env.str("LEDGER_OIDC_CLIENT_SECRET", default="")
LEDGER_OIDC_SCOPES = env.str("LEDGER_OIDC_SCOPES", default="openid email profile")
LEDGER_OIDC_PROVIDER_NAME = env.str("LEDGER_OIDC_PROVIDER_NAME", default="single sign-on")
# The ID-token claim that lists the user's groups, and "group=role" pairs (";"-separated).
LEDGER_OIDC_GROUPS_CLAIM = env.str("LEDGER_OIDC_GROUPS_CLAIM", default="groups")
LEDGER_OIDC_GROUP_ROLES = env.str("LEDGER_OIDC_GROUP_ROLES", default="")
# Team roles from groups: "group=team-slug:role" (";"-separated), e.g.
# "pay-devs=payments:architect; pay-readers=payments:stakeholder". Every sign-in sets the
# user's memberships of the teams named here; other teams' memberships stay with staff.
LEDGER_OIDC_GROUP_TEAMS = env.str("LEDGER_OIDC_GROUP_TEAMS", default="")
# A signature by SSO needs a sign-in at the provider at most this many seconds old.
LEDGER_OIDC_SIGN_MAX_AGE = env.int("LEDGER_OIDC_SIGN_MAX_AGE", default=120)
# The signing form of an SSO user posts to us and is redirected to the provider: the
# provider's origin (that of LEDGER_OIDC_DISCOVERY_URL) must be a form-action source.
if LEDGER_OIDC_DISCOVERY_URL:
    _oidc = urlsplit(LEDGER_OIDC_DISCOVERY_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_oidc.scheme}://{_oidc.netloc}")

# --- Email ------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default=f"filemail:///{VAR_DIR / 'mail'}"))
if not str(vars().get("EMAIL_FILE_PATH", "")).startswith("/"):
    EMAIL_FILE_PATH = "/" + str(vars().get("EMAIL_FILE_PATH", ""))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Decision Ledger <ledger@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # kombu does not create its folders; any process may be the first to send.
    # (A read-only VAR_DIR is left for the worker to complain about when it starts.)
    for _folder in ("out", "processed", "control"):
        with contextlib.suppress(OSError):
            (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule is a named dict in code, on plain intervals in UTC.
CELERY_BEAT_SCHEDULE: dict = {
    "sweep-triggers": {
        "task": "triggers.tasks.sweep_triggers",
        "schedule": env.float("LEDGER_SWEEP_INTERVAL_SECONDS", default=60.0),
    },
    "send-pending-notifications": {
        "task": "config.notifications.tasks.notifications_requeue_pending",
        "schedule": 120.0,
    },
    # The ledger chain heads, written outside the database (risks/ledger_checkpoint.py).
    "ledger-checkpoint": {
        "task": "risks.tasks.ledger_checkpoint",
        "schedule": env.float("LEDGER_CHECKPOINT_INTERVAL_SECONDS", default=3600.0),
    },
    "sync-git-logs": {
        "task": "adr.tasks.sync_git_logs",
        "schedule": env.float("LEDGER_GIT_SYNC_INTERVAL_SECONDS", default=900.0),
    },
    # Channel deliveries whose broker message was lost (triggers/channels/sending.py).
    "send-pending-channel-deliveries": {
        "task": "triggers.channels.tasks.channel_deliveries_requeue",
        "schedule": 120.0,
    },
    # Sends each person's digest once their LEDGER_DIGEST_HOUR has come (once a day).
    "send-daily-digests": {
        "task": "config.preferences.tasks.send_daily_digests",
        "schedule": 300.0,
    },
    # Owners of accepted risks due for review on their band's cadence (once per due date).
    "risk-review-reminders": {
        "task": "riskpolicy.tasks.send_review_reminders",
        "schedule": 3600.0,
    },
}

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.accounts.api_auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A role (or staff) to read anything, the API root included; views ask for more.
    "DEFAULT_PERMISSION_CLASSES": ["config.api.permissions.IsReader"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # One error body for every API failure (config/api/errors.py).
    "EXCEPTION_HANDLER": "config.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Decision Ledger API",
    "DESCRIPTION": "Decisions, risk acceptances, triggers and initiatives.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Anonymous visitors see nothing but the login page, and a user without a role
    # nothing but their profile: the schema and docs need a role too.
    "SERVE_PERMISSIONS": ["config.api.permissions.IsReader"],
    # Swagger UI's files come from drf-spectacular-sidecar (no CDN, CSP 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status` with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "DecisionStatusEnum": "adr.models.Decision.Status",
        "MitigationStatusEnum": "risks.models.Mitigation.Status",
        "InitiativeStatusEnum": "triggers.models.Initiative.Status",
    },
}

# --- Product policy ---------------------------------------------------------
# True only under config.settings.production (and settings that import it); the
# system checks in config/checks.py are stricter there.
LEDGER_PRODUCTION = False
LEDGER_MAX_ACCEPTANCE_MONTHS = env.int("LEDGER_MAX_ACCEPTANCE_MONTHS", default=12)
LEDGER_DEMO_MODE = env.bool("LEDGER_DEMO_MODE", default=False)
# Triggers: metric probes only reach allow-listed hosts, never private/loopback/link-local
# addresses (checked after DNS resolution and after each redirect) unless allowed here.
LEDGER_METRIC_ALLOWED_HOSTS = env.list("LEDGER_METRIC_ALLOWED_HOSTS", default=[])
LEDGER_METRIC_ALLOW_PRIVATE = env.bool("LEDGER_METRIC_ALLOW_PRIVATE", default=False)
LEDGER_METRIC_TIMEOUT_SECONDS = env.float("LEDGER_METRIC_TIMEOUT_SECONDS", default=5.0)
LEDGER_METRIC_FAILURES_BEFORE_ALERT = env.int("LEDGER_METRIC_FAILURES_BEFORE_ALERT", default=3)
LEDGER_METRIC_CONCURRENCY = env.int("LEDGER_METRIC_CONCURRENCY", default=8)
# A sweep stops probing metric endpoints in time to return within this many seconds;
# probes cut short are retried by the next sweep. Below the sweep interval (ledger.E014):
# by default half of it, at most 30 s.
LEDGER_SWEEP_PROBE_BUDGET_SECONDS = env.float(
    "LEDGER_SWEEP_PROBE_BUDGET_SECONDS",
    default=min(30.0, CELERY_BEAT_SCHEDULE["sweep-triggers"]["schedule"] / 2),
)
# Channels (Slack, Teams, signed JSON webhooks) post only to allow-listed hosts (a leading
# dot allows subdomains), never to private/loopback/link-local addresses (after DNS and
# after each redirect) unless the host is also in LEDGER_CHANNEL_PRIVATE_HOSTS (an
# on-premises chat server). A failing endpoint is retried after 1, 2, 4… × the base delay
# (at most an hour) and marked failed after LEDGER_CHANNEL_MAX_ATTEMPTS.
LEDGER_CHANNEL_ALLOWED_HOSTS = env.list(
    "LEDGER_CHANNEL_ALLOWED_HOSTS",
    default=["hooks.slack.com", ".webhook.office.com", ".logic.azure.com"],
)
LEDGER_CHANNEL_PRIVATE_HOSTS = env.list("LEDGER_CHANNEL_PRIVATE_HOSTS", default=[])
LEDGER_CHANNEL_TIMEOUT_SECONDS = env.float("LEDGER_CHANNEL_TIMEOUT_SECONDS", default=10.0)
LEDGER_CHANNEL_MAX_ATTEMPTS = env.int("LEDGER_CHANNEL_MAX_ATTEMPTS", default=6)
LEDGER_CHANNEL_RETRY_BASE_SECONDS = env.float("LEDGER_CHANNEL_RETRY_BASE_SECONDS", default=60.0)
LEDGER_REMINDER_EVERY_DAYS = env.int("LEDGER_REMINDER_EVERY_DAYS", default=3)
LEDGER_REMINDERS_BEFORE_ESCALATION = env.int("LEDGER_REMINDERS_BEFORE_ESCALATION", default=3)
LEDGER_WEBHOOK_TOLERANCE_SECONDS = env.int("LEDGER_WEBHOOK_TOLERANCE_SECONDS", default=300)
LEDGER_DEFAULT_LEAD_DAYS = [30, 7, 1]
# The ledger chain (risks/ledger_chain.py): HMAC keys from the environment, never the
# database ("kid:base64,kid0:base64"; the first, or LEDGER_CHAIN_KEY_ID, seals new events),
# and a directory outside the database where the chain heads are checkpointed (ideally
# append-only or shipped elsewhere: docs/security.md).
LEDGER_CHAIN_KEYS = env.str("LEDGER_CHAIN_KEYS", default="")
LEDGER_CHAIN_KEY_ID = env.str("LEDGER_CHAIN_KEY_ID", default="")
LEDGER_CHECKPOINT_EMAILS = env.list("LEDGER_CHECKPOINT_EMAILS", default=[])
LEDGER_CHECKPOINT_DIR = env.str(
    "LEDGER_CHECKPOINT_DIR", default=str(VAR_DIR / "ledger-checkpoints")
)
# Daily digests go out from this hour of each person's time zone (config.preferences).
LEDGER_DIGEST_HOUR = env.int("LEDGER_DIGEST_HOUR", default=8)
# How long an email's one-click unsubscribe link works.
LEDGER_UNSUBSCRIBE_MAX_AGE_SECONDS = env.int(
    "LEDGER_UNSUBSCRIBE_MAX_AGE_SECONDS", default=60 * 24 * 3600
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# History is read-only everywhere; the admin never reverts (config/accounts/admin.py).
SIMPLE_HISTORY_REVERT_DISABLED = True
# The decision edit page posts a whole matrix (text + score per cell) in one form:
# 30 options x 30 criteria (+ blank rows) is ~4,000 fields. Django's default is 1,000.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
