"""Team memberships from IdP groups, on every single sign-on (README "Single sign-on").

The mapping is LEDGER_OIDC_GROUP_TEAMS, "group=team-slug:role" items (";"-separated;
parsed by oidc.parse_group_teams, checked at start-up by oidc_checks). The teams it
names are *mapped*: every sign-in sets the user's memberships of exactly those teams to
what their groups say (added, role changed, or removed), through the team services so
each change is kept in the membership's history. Memberships of teams the mapping does
not name are kept by staff (manage.py team_member) and left alone.

A user whose groups give two roles in one team gets the strongest: architect, then
stakeholder, then auditor. Roles the mapping cannot name are ignored here (the system
check refuses them). A mapped team that does not exist (deleted or renamed since
start-up) is skipped and logged to ``ledger.security``.

Callers hold the lock that serialises one account's sign-ins (the OidcIdentity row in
oidc_users.oidc_user_for_claims), so two concurrent sign-ins of the same user apply
their groups one after the other.
"""

from __future__ import annotations

import logging

from .models import Membership, Team, User
from .oidc import OidcConfig
from .teams import membership_remove, membership_set

log = logging.getLogger("ledger.security")

# The first role listed wins when one person's groups give several in one team.
ROLE_ORDER: tuple[str, ...] = tuple(Membership.Role.values)
# History reason of a change: the mapped groups the user holds (history keeps 100 chars).
REASON = "single sign-on, groups: {groups}"


def mapped_team_slugs(config: OidcConfig) -> set[str]:
    return {slug for _group, slug, _role in config.group_teams}


def team_roles_for_groups(*, config: OidcConfig, groups: list[str]) -> dict[str, str]:
    """{team slug: role} the IdP groups map to (the strongest role per team)."""
    wanted = set(groups)
    roles: dict[str, str] = {}
    for group, slug, role in config.group_teams:
        if group not in wanted or role not in ROLE_ORDER:
            continue
        held = roles.get(slug)
        if held is None or ROLE_ORDER.index(role) < ROLE_ORDER.index(held):
            roles[slug] = role
    return roles


def memberships_from_groups(*, config: OidcConfig, user: User, groups: list[str]) -> None:
    """Set ``user``'s memberships of the mapped teams to what ``groups`` say. Call it
    inside the transaction that holds the user's sign-in lock."""
    slugs = mapped_team_slugs(config)
    if not slugs:
        return
    teams = {team.slug: team for team in Team.objects.filter(slug__in=slugs)}
    for slug in sorted(slugs - teams.keys()):
        log.warning("OIDC group mapping names the team %r, which does not exist: skipped", slug)
    wanted = team_roles_for_groups(config=config, groups=groups)
    held = dict(
        Membership.objects.filter(user=user, team__in=teams.values()).values_list("team_id", "role")
    )
    mapped_groups = {group for group, _slug, _role in config.group_teams}
    held_groups = ", ".join(sorted(mapped_groups & set(groups))) or "none mapped"
    reason = REASON.format(groups=held_groups)[:100]
    for slug, team in sorted(teams.items()):
        role = wanted.get(slug)
        if role is None and team.pk in held:
            membership_remove(actor=None, team=team, user=user, reason=reason)
        elif role is not None and held.get(team.pk) != role:
            membership_set(actor=None, team=team, user=user, role=role, reason=reason)
    vars(user).pop("_ledger_team_roles", None)  # roles.team_roles' cache
