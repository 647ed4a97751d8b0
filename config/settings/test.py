"""Test settings: PostgreSQL when DATABASE_URL points at it (CI), SQLite otherwise."""

import os

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="test-only-not-secret-" + "x" * 40)
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-memory mail, unless a test process (e.g. a real Celery worker) is given EMAIL_URL.
if not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
AXES_FAILURE_LIMIT = 5
LEDGER_DEMO_MODE = True
# A fixed, public chain key so the ledger works out of the box; production refuses it.
if not LEDGER_CHAIN_KEYS:  # type: ignore[used-before-def]  # noqa: F405
    LEDGER_CHAIN_KEYS = "dev:ZGVjaXNpb24tbGVkZ2VyLWRldmVsb3BtZW50LWNoYWluLWtleS1ub3Qtc2VjcmV0"
# No shared checkpoint file between test databases: tests that need one set a tmp dir.
LEDGER_CHECKPOINT_DIR = env.str("LEDGER_CHECKPOINT_DIR", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
# pytest-xdist workers (gw0, gw1, …) share one Redis: each takes the next database
# number, so one worker's Celery processes never take another's tasks. Written back to
# the environment for the worker processes the tests start.
_xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist.startswith("gw") and CELERY_BROKER_URL.startswith("redis://"):
    _base, _, _db = CELERY_BROKER_URL.rpartition("/")
    _offset = int(_xdist[2:])
    if _db.isdigit() and _offset and "PYTEST_XDIST_BROKER" not in os.environ:
        CELERY_BROKER_URL = f"{_base}/{(int(_db) + _offset) % 16}"
        os.environ["CELERY_BROKER_URL"] = os.environ["PYTEST_XDIST_BROKER"] = CELERY_BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {}
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
