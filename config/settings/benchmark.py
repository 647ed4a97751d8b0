"""Settings for `make benchmark` only (benchmarks/): production-like request handling
(DEBUG off, the same middleware, templates and database) plus the bare baseline views.

The only difference that matters is ROOT_URLCONF: `benchmarks.urls` adds the bare
views in front of the product's own URLs. No other settings module names it, so
production never loads the benchmark's URLs.
"""

from .base import *  # noqa: F403
from .base import LEDGER_CHAIN_KEYS, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="benchmark-only-not-secret-" + "x" * 40)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "benchmarks.urls"
# The pages use {% static %}; no collectstatic step before a benchmark run.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Acceptances seal ledger events; the benchmark's own key (as dev.py's), never production's.
if not LEDGER_CHAIN_KEYS:
    LEDGER_CHAIN_KEYS = "bench:YmVuY2htYXJrLW9ubHktbGVkZ2VyLWNoYWluLWtleS1ub3Qtc2VjcmV0"
# Users are created in bulk before the measurement; hashing is not what is measured.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The sweep's "send" nudges go to a queue of their own that no worker reads (the emails
# are the benchmark's, in the benchmark's database); the benchmark empties it at the end.
CELERY_TASK_DEFAULT_QUEUE = "ledger-benchmark"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
