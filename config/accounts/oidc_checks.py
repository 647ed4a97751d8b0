"""System checks for single sign-on settings (README "Single sign-on").

ledger.E017  LEDGER_OIDC_* settings are incomplete or malformed: a discovery URL
             without a client id (or the reverse), a discovery URL that is not an
             absolute http(s) URL, a role mapping that is not "group=role" pairs of
             known roles, a team mapping that is not "group=team-slug:role" items of
             known team roles (or gives one group two roles in one team), or
             LEDGER_OIDC_SIGN_MAX_AGE outside 10–900 seconds.
ledger.E018  LEDGER_OIDC_GROUP_TEAMS names a team that does not exist (teams are made
             by staff: manage.py team_member). This one reads the database, so it runs
             where Django runs database checks: `migrate` and `check --database default`;
             it is skipped while the teams table does not exist yet (a fresh database).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connections

from .models import Membership, Team
from .oidc import parse_group_roles, parse_group_teams
from .roles import ALL_ROLES

HINT = 'See README "Single sign-on".'


def _error(message: str, id: str = "ledger.E017") -> Error:
    return Error(message, hint=HINT, id=id)


def _team_mapping_errors(databases) -> list[Error]:
    try:
        triples = parse_group_teams(settings.LEDGER_OIDC_GROUP_TEAMS)
    except ValueError as exc:
        return [_error(str(exc))]
    errors = []
    seen: dict[tuple[str, str], str] = {}
    for group, slug, role in triples:
        if role not in Membership.Role.values:
            errors.append(
                _error(
                    f"LEDGER_OIDC_GROUP_TEAMS maps {group!r} to the unknown role {role!r} "
                    f"in {slug!r} (a team role is one of {', '.join(Membership.Role.values)})."
                )
            )
        elif seen.setdefault((group, slug), role) != role:
            errors.append(
                _error(
                    f"LEDGER_OIDC_GROUP_TEAMS maps {group!r} to two roles in {slug!r} "
                    f"({seen[group, slug]} and {role})."
                )
            )
    slugs = {slug for _group, slug, _role in triples}
    for alias in databases or ():
        if not slugs or Team._meta.db_table not in connections[alias].introspection.table_names():
            continue  # nothing mapped, or not migrated yet
        found = set(Team.objects.using(alias).filter(slug__in=slugs).values_list("slug", flat=True))
        errors.extend(
            _error(
                f"LEDGER_OIDC_GROUP_TEAMS names the team {slug!r}, which does not exist: "
                f"create it first (manage.py team_member {slug} <username> <role>) "
                "or take it out of the mapping.",
                id="ledger.E018",
            )
            for slug in sorted(slugs - found)
        )
    return errors


@register(Tags.security)
def oidc_settings(app_configs=None, databases=None, **kwargs) -> list[Error]:
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
    errors.extend(_team_mapping_errors(databases))
    if not 10 <= settings.LEDGER_OIDC_SIGN_MAX_AGE <= 900:
        errors.append(_error("LEDGER_OIDC_SIGN_MAX_AGE must be between 10 and 900 seconds."))
    return errors
