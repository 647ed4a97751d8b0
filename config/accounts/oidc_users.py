"""Ledger users for provider accounts: find or create on sign-in, roles from IdP groups.

The mappings (README "Single sign-on"): LEDGER_OIDC_GROUP_ROLES, "group=role" pairs:
every sign-in sets the user's organisation-wide roles (architect / stakeholder / auditor
groups, config.accounts.roles) to exactly the roles their groups map to; other Django
groups and staff flags are left alone. LEDGER_OIDC_GROUP_TEAMS, "group=team-slug:role":
every sign-in sets the user's memberships of the teams it names (oidc_teams.py). Both
happen under a lock on the account's OidcIdentity row, so concurrent sign-ins of one
user apply their groups one after the other. An account is linked by (issuer,
subject), never by email, so a provider account cannot take over a local user with the
same address.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from config.history import tracked_save

from .models import OidcIdentity
from .oidc import OidcConfig
from .oidc_teams import memberships_from_groups
from .roles import ALL_ROLES

User = get_user_model()


def roles_for_groups(*, config: OidcConfig, groups: list[str]) -> set[str]:
    """The ledger roles the IdP groups map to (unknown groups and roles are ignored)."""
    wanted = set(groups)
    return {role for group, role in config.group_roles if group in wanted and role in ALL_ROLES}


def _claim_groups(config: OidcConfig, claims: dict) -> list[str]:
    value = claims.get(config.groups_claim) or []
    if isinstance(value, str):
        value = [value]
    return [str(g) for g in value if isinstance(g, str | int)]


def _free_username(claims: dict) -> str:
    base = str(claims.get("preferred_username") or claims.get("email") or f"sso-{claims['sub']}")[
        :140
    ]
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _set_roles(user, roles: set[str]) -> None:
    current = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    for name in roles - current:
        group, _ = Group.objects.get_or_create(name=name)
        user.groups.add(group)
    if current - roles:
        user.groups.remove(*Group.objects.filter(name__in=current - roles))
    user._ledger_roles = None


def oidc_user_for_claims(*, config: OidcConfig, claims: dict, issuer: str):
    """The user linked to (issuer, sub), created on first sign-in; roles and team
    memberships from groups.

    Two first sign-ins of one account at once (two tabs): the second to insert meets the
    first's user or link on a unique constraint, is rolled back and tries once more,
    when it finds the first one's link (as does a later sign-in). A username taken by a
    concurrent local account is re-chosen the same way.
    """
    groups = _claim_groups(config, claims)
    try:
        return _user_for_claims(config=config, claims=claims, issuer=issuer, groups=groups)
    except IntegrityError:
        return _user_for_claims(config=config, claims=claims, issuer=issuer, groups=groups)


def _user_for_claims(*, config: OidcConfig, claims: dict, issuer: str, groups: list[str]):
    subject = str(claims["sub"])
    roles = roles_for_groups(config=config, groups=groups)
    with transaction.atomic():
        link = (
            OidcIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if link is None:
            user = User(
                username=_free_username(claims),
                email=str(claims.get("email") or "")[:254],
                first_name=str(claims.get("given_name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150],
                display_name=str(claims.get("name") or "")[:150],
            )
            user.set_unusable_password()
            tracked_save(user, actor=None, reason=f"first sign-in by single sign-on ({issuer})")
            # A concurrent first sign-in of the same account fails here (unique link) or
            # on the username, and rolls back its user (oidc_user_for_claims retries).
            OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        else:
            user = link.user
        _set_roles(user, roles)
        memberships_from_groups(config=config, user=user, groups=groups)
    return user


def linked_identity(user) -> OidcIdentity | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return OidcIdentity.objects.filter(user=user).first()
