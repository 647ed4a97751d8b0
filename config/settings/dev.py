"""The embedded default: SQLite, a file-system Celery broker, mail written to files."""

from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
if not SECRET_KEY:  # type: ignore[used-before-def]  # noqa: F405
    # A throwaway key for local development only; production refuses to start without one.
    _key_file = VAR_DIR / "dev-secret-key"
    if not _key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(get_random_secret_key())
    SECRET_KEY = _key_file.read_text().strip()
ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]  # noqa: F405
LEDGER_DEMO_MODE = env.bool("LEDGER_DEMO_MODE", default=True)
# A fixed, public chain key so the ledger works out of the box; production refuses it.
if not LEDGER_CHAIN_KEYS:  # type: ignore[used-before-def]  # noqa: F405
    LEDGER_CHAIN_KEYS = "dev:ZGVjaXNpb24tbGVkZ2VyLWRldmVsb3BtZW50LWNoYWluLWtleS1ub3Qtc2VjcmV0"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# The demo metric endpoint is served by this app on localhost.
LEDGER_METRIC_ALLOWED_HOSTS = LEDGER_METRIC_ALLOWED_HOSTS or ["127.0.0.1", "localhost"]  # noqa: F405
LEDGER_METRIC_ALLOW_PRIVATE = env.bool("LEDGER_METRIC_ALLOW_PRIVATE", default=True)
# A local webhook receiver may stand in for Slack/Teams while developing.
LEDGER_CHANNEL_PRIVATE_HOSTS = env.list(
    "LEDGER_CHANNEL_PRIVATE_HOSTS", default=["localhost", "127.0.0.1"]
)
LEDGER_CHANNEL_ALLOWED_HOSTS = [*LEDGER_CHANNEL_ALLOWED_HOSTS, *LEDGER_CHANNEL_PRIVATE_HOSTS]  # noqa: F405
