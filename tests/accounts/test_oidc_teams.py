"""Team memberships from IdP groups (LEDGER_OIDC_GROUP_TEAMS, config/accounts/oidc_teams.py):
the mapping's syntax and its start-up checks; every sign-in through the real callback
(against the scripted provider on loopback) adds, changes and removes memberships of
the mapped teams only, with history; two concurrent sign-ins of one user serialise."""

from __future__ import annotations

import pytest

from adr import services as adr
from adr.access import can_write_log
from config.accounts.models import Membership, OidcIdentity, Team
from config.accounts.oidc import oidc_config, parse_group_roles, parse_group_teams
from config.accounts.oidc_checks import oidc_settings
from config.accounts.oidc_teams import team_roles_for_groups
from config.accounts.oidc_users import oidc_user_for_claims
from config.accounts.roles import can_read, team_ids, team_roles, user_roles
from config.accounts.teams import membership_set, team_create
from tests.accounts.test_oidc_login import callback, start
from tests.support.race import queued_on_row_lock

pytestmark = pytest.mark.django_db

MAPPING = (
    "pay-devs=payments:architect; pay-readers=payments:stakeholder; "
    "cn=idn,ou=groups,dc=example=identity:auditor"
)


@pytest.fixture
def teams(staff):
    return {
        slug: team_create(actor=staff, name=name, slug=slug)
        for slug, name in (
            ("payments", "Payments Platform"),
            ("identity", "Identity"),
            ("search", "Search"),
        )
    }


def sign_in(client, idp, *, groups: list[str], sub: str = "dana-1"):
    client.logout()
    params = start(client)
    idp.next_id_token = idp.id_token(
        nonce=params["nonce"], sub=sub, preferred_username="dana", groups=groups
    )
    response = callback(client, params["state"])
    assert response.status_code == 302 and response["Location"] == "/risks/", response
    user = OidcIdentity.objects.select_related("user").get(subject=sub).user
    assert int(client.session["_auth_user_id"]) == user.pk
    return user


def roles_by_slug(user) -> dict[str, str]:
    return dict(Membership.objects.filter(user=user).values_list("team__slug", "role"))


# --- The mapping ----------------------------------------------------------------------


def test_the_team_mapping_names_teams_by_slug_and_groups_may_be_ldap_dns():
    assert parse_group_teams(MAPPING + ";;") == (
        ("pay-devs", "payments", "architect"),
        ("pay-readers", "payments", "stakeholder"),
        ("cn=idn,ou=groups,dc=example", "identity", "auditor"),
    )
    assert parse_group_teams("  ") == ()
    # The role mapping takes a DN too (the role is after the last "=").
    assert parse_group_roles("cn=arch,ou=groups=architect") == (("cn=arch,ou=groups", "architect"),)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("pay-devs", "is not group=team-slug:role"),
        ("pay-devs=payments", "is not group=team-slug:role"),
        ("=payments:architect", "is not group=team-slug:role"),
        ("pay-devs=payments:", "is not group=team-slug:role"),
        ("pay-devs=Payments Platform:architect", "'Payments Platform' is not a team slug"),
    ],
)
def test_a_malformed_team_mapping_says_what_is_wrong(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_group_teams(text)


def test_two_groups_giving_roles_in_one_team_give_the_strongest(settings):
    settings.LEDGER_OIDC_DISCOVERY_URL = "https://idp.example/.well-known/openid-configuration"
    settings.LEDGER_OIDC_CLIENT_ID = "ledger"
    settings.LEDGER_OIDC_GROUP_TEAMS = (
        "readers=payments:auditor; owners=payments:stakeholder; devs=payments:architect; "
        "devs=identity:stakeholder; auditors=identity:auditor"
    )
    config = oidc_config()
    assert config is not None
    assert team_roles_for_groups(config=config, groups=["readers", "owners", "unrelated"]) == {
        "payments": "stakeholder"
    }
    assert team_roles_for_groups(config=config, groups=["auditors", "devs", "readers"]) == {
        "payments": "architect",
        "identity": "stakeholder",
    }
    assert team_roles_for_groups(config=config, groups=[]) == {}


@pytest.fixture
def configured(settings):
    settings.LEDGER_OIDC_DISCOVERY_URL = "https://idp.example/.well-known/openid-configuration"
    settings.LEDGER_OIDC_CLIENT_ID = "ledger"
    return settings


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        ("devs=payments:owner", "maps 'devs' to the unknown role 'owner' in 'payments'"),
        ("devs=payments:architect; devs=payments:auditor", "two roles in 'payments'"),
        ("devs=Payments Platform:architect", "is not a team slug"),
        ("devs", "is not group=team-slug:role"),
    ],
)
def test_a_bad_team_mapping_fails_the_start_up_check(configured, teams, mapping, fragment):
    configured.LEDGER_OIDC_GROUP_TEAMS = MAPPING
    assert oidc_settings(databases=["default"]) == []
    configured.LEDGER_OIDC_GROUP_TEAMS = mapping
    errors = oidc_settings()
    assert [e.id for e in errors] == ["ledger.E017"]
    assert fragment in errors[0].msg


def test_a_mapped_team_that_does_not_exist_fails_the_database_check(configured, teams):
    configured.LEDGER_OIDC_GROUP_TEAMS = "devs=payments:architect; sec=security:auditor"
    # Without the database (runserver, Celery) only the syntax is checked.
    assert oidc_settings() == []
    errors = oidc_settings(databases=["default"])
    assert [e.id for e in errors] == ["ledger.E018"]
    assert "'security', which does not exist" in errors[0].msg
    team_create(actor=None, name="Security")
    assert oidc_settings(databases=["default"]) == []


# --- Sign-in through the callback ---------------------------------------------------------


@pytest.fixture
def mapped(idp, settings, teams):
    settings.LEDGER_OIDC_GROUP_TEAMS = MAPPING
    return idp


def test_first_sign_in_puts_the_user_in_the_teams_their_groups_map_to(client, mapped, teams):
    dana = sign_in(
        client, mapped, groups=["pay-readers", "cn=idn,ou=groups,dc=example", "unrelated"]
    )
    assert roles_by_slug(dana) == {"payments": "stakeholder", "identity": "auditor"}
    assert user_roles(dana) == set()  # no organisation-wide role: team roles only
    assert can_read(dana)
    created = Membership.history.filter(user=dana).order_by("history_id")
    assert [(h.history_type, h.role, h.history_user) for h in created] == [
        ("+", "auditor", None),
        ("+", "stakeholder", None),
    ]
    assert created[0].history_change_reason == (
        "single sign-on, groups: cn=idn,ou=groups,dc=example, pay-readers"
    )


def test_every_sign_in_sets_the_mapped_teams_and_leaves_the_others_to_staff(
    client, mapped, teams, staff
):
    dana = sign_in(client, mapped, groups=["pay-readers", "cn=idn,ou=groups,dc=example"])
    # Staff put her in Search (a team the mapping does not name) in the app.
    membership_set(actor=staff, team=teams["search"], user=dana, role="architect")

    # Promoted at the provider and out of the identity group: role changed, removed.
    dana = sign_in(client, mapped, groups=["pay-devs", "pay-readers"])
    assert roles_by_slug(dana) == {"payments": "architect", "search": "architect"}
    assert team_ids(dana, "architect") == {teams["payments"].pk, teams["search"].pk}

    # The same groups again: nothing changes, no history row is written.
    rows = Membership.history.count()
    dana = sign_in(client, mapped, groups=["pay-devs", "pay-readers"])
    assert Membership.history.count() == rows

    # No mapped group left: out of every mapped team; Search stays, as staff set it.
    dana = sign_in(client, mapped, groups=[])
    assert roles_by_slug(dana) == {"search": "architect"}
    payments = Membership.history.filter(user=dana, team=teams["payments"]).order_by("history_id")
    assert [(h.history_type, h.role) for h in payments] == [
        ("+", "stakeholder"),
        ("~", "architect"),
        ("-", "architect"),
    ]
    assert payments.last().history_change_reason == "single sign-on, groups: none mapped"
    search = Membership.history.filter(user=dana, team=teams["search"])
    assert [(h.history_type, h.history_user) for h in search] == [("+", staff)]


def test_a_mapped_team_deleted_since_start_up_is_skipped(client, mapped, teams, settings, caplog):
    settings.LEDGER_OIDC_GROUP_TEAMS = MAPPING + "; pay-devs=gone:architect"
    with caplog.at_level("WARNING", logger="ledger.security"):
        dana = sign_in(client, mapped, groups=["pay-devs"])
    assert roles_by_slug(dana) == {"payments": "architect"}
    assert not Team.objects.filter(slug="gone").exists()
    assert "names the team 'gone', which does not exist" in caplog.text


def test_team_roles_from_groups_are_what_the_access_rule_reads(client, mapped, teams, staff):
    pay_log = adr.log_create(actor=staff, key="PAY", name="Payments", team=teams["payments"])
    idn_log = adr.log_create(actor=staff, key="IDN", name="Identity", team=teams["identity"])
    dana = sign_in(client, mapped, groups=["pay-devs"])
    assert team_roles(dana) == {teams["payments"].pk: "architect"}
    assert can_write_log(dana, pay_log) and not can_write_log(dana, idn_log)


# --- Two sign-ins at once ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sign_ins_of_one_user_apply_their_groups_one_after_the_other(
    configured, staff
):
    configured.LEDGER_OIDC_GROUP_TEAMS = MAPPING
    payments = team_create(actor=staff, name="Payments Platform", slug="payments")
    config = oidc_config()
    assert config is not None
    issuer = "https://idp.example"
    claims = {"sub": "dana-1", "preferred_username": "dana", "groups": []}
    dana = oidc_user_for_claims(config=config, claims=claims, issuer=issuer)
    link = OidcIdentity.objects.get(user=dana)

    def signing_in(groups):
        def load():
            return lambda: oidc_user_for_claims(
                config=config, claims={**claims, "groups": groups}, issuer=issuer
            )

        return load

    outcomes = queued_on_row_lock(
        OidcIdentity, link.pk, signing_in(["pay-devs"]), signing_in(["pay-devs"])
    )
    # Without the lock both would find no membership and insert one: one would fail on
    # the unique (team, user) constraint.
    assert [o.error for o in outcomes] == [None, None]
    assert [o.value.pk for o in outcomes] == [dana.pk, dana.pk]
    assert roles_by_slug(dana) == {"payments": "architect"}
    history = Membership.history.filter(user=dana, team=payments)
    assert [h.history_type for h in history] == ["+"]


@pytest.mark.django_db(transaction=True)
def test_a_first_sign_in_racing_another_finds_the_account_the_other_made(
    configured, staff, django_user_model
):
    configured.LEDGER_OIDC_GROUP_TEAMS = MAPPING
    team_create(actor=staff, name="Payments Platform", slug="payments")
    config = oidc_config()
    assert config is not None
    issuer = "https://idp.example"
    claims = {"sub": "dana-1", "preferred_username": "dana", "groups": ["pay-devs"]}
    made = {}

    def first_sign_in_not_yet_committed():
        # Another tab's first sign-in has made dana and her link, not yet committed:
        # both writers below meet its rows on the unique username and wait for it.
        made["dana"] = django_user_model.objects.create(username="dana")
        OidcIdentity.objects.create(user=made["dana"], issuer=issuer, subject="dana-1")

    def signing_in():
        return lambda: oidc_user_for_claims(config=config, claims=claims, issuer=issuer)

    outcomes = queued_on_row_lock(
        django_user_model, staff.pk, signing_in, signing_in, holder=first_sign_in_not_yet_committed
    )
    assert [o.error for o in outcomes] == [None, None]
    assert [o.value.pk for o in outcomes] == [made["dana"].pk, made["dana"].pk]
    assert django_user_model.objects.filter(username__startswith="dana").count() == 1
    assert roles_by_slug(made["dana"]) == {"payments": "architect"}
