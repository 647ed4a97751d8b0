"""System checks for single sign-on settings (README "Single sign-on").

ledger.E017  LEDGER_OIDC_* settings are incomplete or malformed: a discovery URL
             without a client id (or the reverse), a discovery URL that is not an
             absolute http(s) URL, a group mapping that is not "group=role" pairs of
             known roles, or LEDGER_OIDC_SIGN_MAX_AGE outside 10–900 seconds.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

from .oidc import parse_group_roles
from .roles import ALL_ROLES

HINT = 'See README "Single sign-on".'


def _error(message: str) -> Error:
    return Error(message, hint=HINT, id="ledger.E017")


@register(Tags.security)
def oidc_settings(app_configs=None, **kwargs) -> list[Error]:
    url = settings.LEDGER_OIDC_DISCOVERY_URL
    client_id = settings.LEDGER_OIDC_CLIENT_ID
    errors = []
    if bool(url) != bool(client_id):
        errors.append(_error("Set both LEDGER_OIDC_DISCOVERY_URL and LEDGER_OIDC_CLIENT_ID."))
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        errors.append(_error(f"LEDGER_OIDC_DISCOVERY_URL is not an absolute URL: {url!r}"))
    try:
        pairs = parse_group_roles(settings.LEDGER_OIDC_GROUP_ROLES)
    except ValueError as exc:
        errors.append(_error(str(exc)))
    else:
        for group, role in pairs:
            if role not in ALL_ROLES:
                errors.append(
                    _error(f"LEDGER_OIDC_GROUP_ROLES maps {group!r} to the unknown role {role!r}.")
                )
    if not 10 <= settings.LEDGER_OIDC_SIGN_MAX_AGE <= 900:
        errors.append(_error("LEDGER_OIDC_SIGN_MAX_AGE must be between 10 and 900 seconds."))
    return errors
