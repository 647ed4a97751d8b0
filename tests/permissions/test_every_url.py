"""Every URL and API endpoint × every persona × (the private log PAY, the open log IDN).

``ROUTES`` gives every route of the resolver a permission decision: how to fill its
arguments from the world (tests/permissions/world.py), what kind of route it is, the
methods to try, and who may write through it. ``test_every_route_is_classified`` fails
when a URL exists that the table does not classify, so a new URL without a permission
decision fails CI. Admin URLs are staff-only wholesale (the ``admin`` namespace), and
checked by sampling each model's changelist and change page.

For each route and persona, against the PAY and the IDN objects:

- GET: readers get the route's normal answer; whoever may not read PAY gets 404 (or
  403) and never a body holding ``SECRET`` — on lists, search, the home page, the
  export, the API lists and the calendar feed as much as on PAY's own pages;
- POST (and the API's PATCH/PUT/DELETE): whoever may not write gets 403/404 (a 400 where
  the target is named in the body, e.g. a create form's log) and the database is
  unchanged (row counts, versions and update times of every table of the ledger);
  whoever may write is not refused (any answer but 403/404).

Known leaks fixed elsewhere are strict xfails (``KNOWN``): they turn red once fixed.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import require_postgres
from tests.permissions.world import KEYS, PERSONAS, READERS, SECRET, WRITERS, World, build_world

# Traces of PAY in a page: its secret word, its decisions' references, its log's pages.
PAY_MARKS = (SECRET, "PAY-0001", "PAY-0002", "/decisions/logs/PAY/")
ARCHITECTS = frozenset({"staff", "org_architect", "pay_architect", "idn_architect"})
LOGGED_IN = frozenset(set(PERSONAS) - {"anonymous"})
ROLES = frozenset(LOGGED_IN - {"nobody"})
STAFF = frozenset({"staff"})
NOBODY: frozenset[str] = frozenset()

# Kinds of route.
READ = "read"  # a page or endpoint about one object of a log: its readers read it
LIST = "list"  # a page or endpoint about many (or none): nobody sees SECRET who may not
WRITE = "write"  # an action (POST): its writers only
PAGE = "page"  # a form page (GET) whose POST writes: its writers only
STAFF_ONLY = "staff-only"
PUBLIC = "public"  # reached without a session (login, reset, feeds, webhooks, health)
AUTH = "auth-flow"  # signing in and out, passwords: the person's own
SELF = "self"  # the person's own settings (profile, preferences, notifications)


@dataclass(frozen=True)
class Route:
    kind: str
    # kwargs of the URL for one log's objects (None: the route takes no object).
    kwargs: Callable[..., dict] | None = None
    methods: tuple[str, ...] = ("GET",)
    # Who writes through the route, for a log key ("PAY"/"IDN") or for no object (None).
    writers: Callable[[str | None, World], frozenset[str]] = lambda key, w: NOBODY
    # Who reads it (GET answers ok); default: the log's readers (or everybody with a role).
    readers: Callable[[str | None, World], frozenset[str]] | None = None
    ok: tuple[int, ...] = (200,)
    data: Callable[..., dict] | dict = field(default_factory=dict)
    query: Callable[..., str] | str = ""
    api: bool = False
    # A refused write names its target in its body (a create form): 400 is a refusal too.
    body_target: bool = False
    # The data is the form's own (its fields as the page shows them to staff), with
    # ``data`` on top: a writer's POST of it really writes (checked), so a non-writer's
    # refusal is for the target alone.
    form: bool = False
    # Other answers that refuse a write here (e.g. 409: only a draft is edited over the API).
    refusals: tuple[int, ...] = ()
    # Tried on the organisation-wide log ORG too (its decisions and their parts: staff and
    # organisation-wide architects write there, no team architect).
    org: bool = False
    # Readers of PAY find SECRET here (the lists' positive control).
    shows_secret: bool = False
    # What shows one of PAY's objects in a list whose rows carry no title (an API list of
    # ids): nobody who may not read PAY finds it, every reader of PAY does.
    marker: Callable[..., str] | None = None


def _log_writers(key, world):
    return WRITERS[key] if key else ARCHITECTS


def _log_readers(key, world):
    return READERS[key] if key else ROLES


def _signer(key, world):
    return frozenset({"pay_stakeholder" if key == "PAY" else "idn_architect"})


def _author(key, world):
    return frozenset({"pay_architect" if key == "PAY" else "org_architect"})


def _acknowledgers(key, world):
    """Operators (architects, staff) and the people the trigger involves (its signatory,
    its watchers: the organisation-wide stakeholder), of those who read it."""
    return (WRITERS[key] | _signer(key, world) | {"org_stakeholder", "org_architect"}) & READERS[
        key
    ]


def _role_holders(key, world):
    return ROLES


def _everyone(key, world):
    return frozenset(PERSONAS)


def _logged_in(key, world):
    return LOGGED_IN


def _staff(key, world):
    return STAFF


def _architects(key, world):
    return ARCHITECTS


def _readers_of(key, world):
    return READERS[key]


def _dec(o, w):
    return {"key": o.log.key, "number": o.decision.number}


def _log(o, w):
    return {"key": o.log.key}


def _acc(o, w):
    return {"pk": o.acceptance.pk}


def _trig(o, w):
    return {"pk": o.trigger.pk}


def _pk(attr: str) -> Callable:
    return lambda o, w: {"pk": getattr(o, attr).pk}


def _api_decision(o, w):
    return {"pk": o.decision.reference}


def _two_versions(history) -> str:
    a, b = history.order_by("history_id").values_list("history_id", flat=True)[:2]
    return f"?a={a}&b={b}"


def _decision_versions(o, w):
    return _two_versions(o.decision.history)


def _acceptance_versions(o, w):
    return _two_versions(o.acceptance.history)


ROUTES: dict[str, Route] = {
    # --- config ---------------------------------------------------------------------
    "home": Route(LIST),
    "search": Route(LIST, query="?q=settlement", shows_secret=True),
    "healthz": Route(PUBLIC),
    "accounts:login": Route(AUTH, ok=(200, 302)),
    "accounts:sso-login": Route(AUTH, ok=(200, 302, 400, 404)),
    "accounts:sso-callback": Route(AUTH, ok=(200, 302, 400, 403, 404)),
    "accounts:logout": Route(AUTH, methods=()),  # logs the test client out; nothing to leak
    "accounts:profile": Route(SELF),
    "accounts:time-zone": Route(SELF, methods=("POST",), writers=_logged_in, ok=(302,)),
    # Another person's API token: only its owner revokes it.
    "accounts:token-revoke": Route(
        WRITE,
        kwargs=lambda o, w: {"pk": w.staff_token.pk},
        methods=("POST",),
        writers=_staff,
    ),
    "accounts:password-change": Route(SELF),
    "accounts:password-change-done": Route(SELF),
    "accounts:password-reset": Route(PUBLIC, ok=(200, 302)),
    "accounts:password-reset-done": Route(PUBLIC, ok=(200, 302)),
    "accounts:password-reset-confirm": Route(
        PUBLIC, kwargs=lambda o, w: {"uidb64": "MQ", "token": "bad-token"}, ok=(200, 302)
    ),
    "accounts:password-reset-complete": Route(PUBLIC, ok=(200, 302)),
    "notifications:outbox": Route(STAFF_ONLY, readers=_staff),
    "notifications:detail": Route(
        STAFF_ONLY, kwargs=lambda o, w: {"pk": w.emails[o.log.key].pk}, readers=_staff
    ),
    "notifications:resend": Route(
        STAFF_ONLY,
        kwargs=lambda o, w: {"pk": w.emails[o.log.key].pk},
        methods=("POST",),
        writers=_staff,
    ),
    # A persona's own feed: test_calendar_feeds; here, a token that is nobody's.
    "calendar:feed": Route(PUBLIC, kwargs=lambda o, w: {"token": "x" * 43}, ok=(404,)),
    "calendar:regenerate": Route(SELF, methods=("POST",), writers=_logged_in),
    "calendar:revoke": Route(SELF, methods=("POST",), writers=_logged_in, ok=(302,)),
    "inapp:list": Route(SELF),
    # One in-app notification of the trigger's signer: theirs alone.
    "inapp:detail": Route(
        SELF, kwargs=lambda o, w: {"pk": w.emails[o.log.key].pk}, readers=_signer
    ),
    "inapp:read-all": Route(SELF, methods=("POST",), writers=_logged_in, ok=(302,)),
    "preferences:page": Route(SELF),
    "preferences:unsubscribe": Route(
        PUBLIC, kwargs=lambda o, w: {"token": "not-a-signed-token"}, ok=(404,)
    ),
    # --- decisions: ADR files in and out -------------------------------------------
    "interop:import": Route(
        PAGE, kwargs=_log, methods=("GET", "POST"), writers=_log_writers, org=True
    ),
    "interop:import-confirm": Route(
        WRITE, kwargs=_log, methods=("POST",), writers=_log_writers, ok=(302,)
    ),
    # A job is its uploader's alone.
    "interop:job": Route(
        PAGE,
        kwargs=lambda o, w: {"key": o.log.key, "job_id": o.import_job.pk},
        readers=_author,
    ),
    # The job is still queued: nobody confirms it yet.
    "interop:job-confirm": Route(
        WRITE,
        kwargs=lambda o, w: {"key": o.log.key, "job_id": o.import_job.pk},
        methods=("POST",),
    ),
    "interop:export": Route(READ, kwargs=_log, org=True),
    # --- decisions ------------------------------------------------------------------
    "adr:decision-list": Route(LIST, query="?q=settlement", shows_secret=True),
    "adr:decision-create": Route(
        PAGE,
        methods=("GET", "POST"),
        writers=_log_writers,
        readers=_architects,
        data=lambda o, w: {"log": o.log.key, "title": "Refused"},
        form=True,
        body_target=True,
        org=True,
    ),
    "adr:preview": Route(WRITE, methods=("POST",), writers=_architects, data={"text": "x"}),
    "adr:log-list": Route(LIST, shows_secret=True),
    "adr:log-create": Route(PAGE, methods=("GET", "POST"), writers=_architects),
    "adr:log-detail": Route(READ, kwargs=_log, org=True),
    "adr:log-edit": Route(
        PAGE, kwargs=_log, methods=("GET", "POST"), writers=_log_writers, org=True
    ),
    "adr:log-map": Route(READ, kwargs=_log, org=True),
    "adr:decision-detail": Route(READ, kwargs=_dec, org=True),
    "adr:decision-edit": Route(
        PAGE, kwargs=_dec, methods=("GET", "POST"), writers=_log_writers, org=True
    ),
    "adr:decision-history": Route(READ, kwargs=_dec, org=True),
    "adr:decision-compare": Route(READ, kwargs=_dec, query=_decision_versions, org=True),
    "adr:decision-status": Route(
        WRITE,
        kwargs=_dec,
        methods=("POST",),
        writers=_log_writers,
        data={"status": "accepted", "reason": "refused"},
        org=True,
    ),
    "adr:decision-reviewed": Route(
        WRITE, kwargs=_dec, methods=("POST",), writers=_log_writers, org=True
    ),
    # --- risk acceptances ------------------------------------------------------------
    "risks:index": Route(LIST, shows_secret=True),
    "risks:create": Route(
        PAGE,
        methods=("GET", "POST"),
        writers=_log_writers,
        readers=_architects,
        data=lambda o, w: {
            "title": "Refused",
            "risk_statement": "Refused.",
            "decisions": [o.decision.pk],
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
        form=True,
        body_target=True,
        refusals=(200,),  # the form again, with the reason
    ),
    "risks:detail": Route(READ, kwargs=_acc),
    "risks:edit": Route(PAGE, kwargs=_acc, methods=("GET", "POST"), writers=_log_writers),
    "risks:history": Route(READ, kwargs=_acc),
    "risks:compare": Route(READ, kwargs=_acc, query=_acceptance_versions),
    "risks:as-signed": Route(
        READ, kwargs=lambda o, w: {"pk": o.acceptance.pk, "number": 1}, ok=(200, 404)
    ),
    "risks:print": Route(READ, kwargs=_acc),
    "risks:submit": Route(WRITE, kwargs=_acc, methods=("POST",), writers=_log_writers),
    # The signing page is its signatories' (and only theirs: risks.permissions).
    "risks:sign": Route(
        PAGE, kwargs=_acc, methods=("GET", "POST"), writers=_signer, readers=_signer
    ),
    # Single sign-on is off here: nobody starts an SSO signature (risks.sso_views).
    "risks:sign-sso": Route(WRITE, kwargs=_acc, methods=("POST",)),
    "risks:sign-sso-callback": Route(AUTH, ok=(200, 302, 400, 403, 404)),
    "risks:revoke": Route(
        WRITE,
        kwargs=_pk("accepted"),
        methods=("POST",),
        writers=_log_writers,
        data={"reason": "no"},
    ),
    "risks:remediated": Route(
        WRITE,
        kwargs=_pk("accepted"),
        methods=("POST",),
        writers=_log_writers,
        data={"reason": "no"},
    ),
    # --- triggers ---------------------------------------------------------------------
    "triggers:index": Route(LIST, shows_secret=True),
    "triggers:create": Route(
        PAGE,
        methods=("GET", "POST"),
        writers=_log_writers,
        readers=_architects,
        data=lambda o, w: {
            "kind": "date",
            "name": "Refused",
            "justification": "Refused.",
            "date": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "decisions": [o.decision.pk],
        },
        form=True,
        body_target=True,
    ),
    "triggers:detail": Route(READ, kwargs=_trig),
    "triggers:edit": Route(PAGE, kwargs=_trig, methods=("GET", "POST"), writers=_log_writers),
    "triggers:history": Route(READ, kwargs=_trig),
    # Operators and the people the trigger involves (its watcher and signatory).
    "triggers:acknowledge": Route(
        WRITE,
        kwargs=_trig,
        methods=("POST",),
        writers=_acknowledgers,
    ),
    "triggers:resolve": Route(
        WRITE, kwargs=_trig, methods=("POST",), writers=_log_writers, data={"reason": "no"}
    ),
    "triggers:disarm": Route(
        WRITE, kwargs=_trig, methods=("POST",), writers=_log_writers, data={"reason": "no"}
    ),
    "triggers:rearm": Route(
        WRITE, kwargs=_trig, methods=("POST",), writers=_log_writers, data={"justification": "no"}
    ),
    # Initiatives are other teams' work, organisation-wide: every reader reads them, and
    # architects of any team change them.
    "triggers:initiative-list": Route(LIST),
    "triggers:initiative-create": Route(
        PAGE, methods=("GET", "POST"), writers=_architects, readers=_architects
    ),
    "triggers:initiative-detail": Route(LIST, kwargs=_pk("initiative")),
    "triggers:initiative-status": Route(
        WRITE,
        kwargs=_pk("initiative"),
        methods=("POST",),
        writers=lambda key, w: ARCHITECTS,
        data={"status": "planned"},
    ),
    # --- a log's channels, comments, reviews, the risk policy ---------------------------
    "channels:log": Route(
        PAGE, kwargs=_log, methods=("GET", "POST"), writers=_log_writers, org=True
    ),
    "channels:test": Route(
        WRITE,
        kwargs=lambda o, w: {"key": o.log.key, "pk": o.channel.pk},
        methods=("POST",),
        writers=_log_writers,
    ),
    # Staff's "Send again" on a delivery (the outbox page); a pending one is refused
    # with a message, which is no 403/404.
    "channels:resend": Route(
        STAFF_ONLY,
        kwargs=lambda o, w: {"pk": o.delivery.pk},
        methods=("POST",),
        writers=_staff,
        ok=(302,),
    ),
    "channels:active": Route(
        WRITE,
        kwargs=lambda o, w: {"key": o.log.key, "pk": o.channel.pk},
        methods=("POST",),
        writers=_log_writers,
        data={"active": "0"},
    ),
    # Every reader of a document comments on it.
    "comments:thread": Route(
        READ,
        kwargs=lambda o, w: {"kind": "decision", "pk": o.decision.pk},
        methods=("GET", "POST"),
        writers=_readers_of,
        data={"body": "A refused comment"},
    ),
    "comments:edit": Route(
        WRITE,
        kwargs=_pk("comment"),
        methods=("POST",),
        writers=_author,
        data={"body": "Refused edit"},
    ),
    "comments:hide": Route(
        WRITE,
        kwargs=_pk("comment"),
        methods=("POST",),
        writers=lambda key, w: STAFF,
        data={"reason": "refused"},
    ),
    "reviews:request": Route(
        WRITE,
        kwargs=lambda o, w: {"pk": o.decision.pk},
        methods=("POST",),
        writers=_log_writers,
        data={"reviewers": "audrey"},
    ),
    # The people asked (the signatory here) and organisation-wide architects who read the
    # decision, not its author (reviews.services.review_submit).
    "reviews:submit": Route(
        WRITE,
        kwargs=lambda o, w: {"pk": o.decision.pk},
        methods=("POST",),
        writers=lambda key, w: _signer(key, w) | STAFF,
        data={"verdict": "approve", "body": "refused"},
    ),
    "reviews:policy": Route(
        PAGE, kwargs=_log, methods=("GET", "POST"), writers=_log_writers, org=True
    ),
    "riskpolicy:policy": Route(
        PAGE, methods=("GET", "POST"), writers=_staff, readers=_role_holders
    ),
    "riskpolicy:capacity": Route(
        WRITE, methods=("POST",), writers=_staff, data={"username": "sam", "capacity": "CISO"}
    ),
    "riskpolicy:queue": Route(LIST, shows_secret=True),
    # The owner (an architect of the log) records a review of an accepted risk.
    "riskpolicy:reviewed": Route(
        WRITE,
        kwargs=_pk("accepted"),
        methods=("POST",),
        writers=_log_writers,
        data={"note": "refused"},
    ),
    # --- public receivers -----------------------------------------------------------------
    "hooks:trigger": Route(
        PUBLIC,
        kwargs=lambda o, w: {"uuid": o.trigger.uuid},
        methods=("POST",),
        ok=(400, 401, 403, 404),
    ),
    "demo:legacy-frontend-usage": Route(PUBLIC, ok=(200, 404)),
    # --- the REST API ------------------------------------------------------------------
    "ledger-export": Route(LIST, api=True, shows_secret=True),
    "api-root": Route(LIST, api=True),
    "schema": Route(LIST, api=True),
    "api-docs": Route(LIST, api=True),
    "api:not-found": Route(PUBLIC, ok=(404,)),  # the catch-all under /api/
    "log-list": Route(
        LIST,
        api=True,
        methods=("GET", "POST"),
        # An organisation-wide log (no team): staff and organisation-wide architects.
        writers=lambda key, w: frozenset({"staff", "org_architect"}),
        shows_secret=True,
        data=lambda o, w: {"key": "NEWLOG", "name": "Refused"},
    ),
    "log-detail": Route(
        READ,
        api=True,
        kwargs=_log,
        methods=("GET", "PATCH", "DELETE"),
        writers=_log_writers,
        data={"name": "Refused"},
        org=True,
    ),
    "decision-list": Route(
        LIST,
        api=True,
        methods=("GET", "POST"),
        writers=_log_writers,
        shows_secret=True,
        data=lambda o, w: {"log": o.log.key, "title": "Refused"},
        body_target=True,
        org=True,
    ),
    "decision-detail": Route(
        READ,
        api=True,
        kwargs=_api_decision,
        methods=("GET", "PATCH", "DELETE"),
        writers=_log_writers,
        data={"title": "Refused"},
        org=True,
    ),
    "option-list": Route(
        LIST,
        api=True,
        methods=("GET", "POST"),
        writers=_log_writers,
        shows_secret=True,
        data=lambda o, w: {"decision": o.decision.pk, "title": "Refused"},
        body_target=True,
        org=True,
    ),
    "option-detail": Route(
        READ,
        api=True,
        kwargs=_pk("option"),
        methods=("GET", "PATCH", "DELETE"),
        writers=_log_writers,
        data={"title": "Refused"},
        org=True,
    ),
    "relation-list": Route(
        LIST,
        api=True,
        methods=("GET", "POST"),
        writers=_log_writers,
        data=lambda o, w: {
            "source": o.other.pk,
            "target": o.decision.pk,
            "kind": "relates_to",
        },
        body_target=True,
        org=True,
    ),
    "relation-detail": Route(
        READ,
        api=True,
        kwargs=_pk("relation"),
        methods=("GET", "PATCH", "DELETE"),
        writers=_log_writers,
        data={"note": "Refused"},
        org=True,
    ),
    "criterion-list": Route(
        LIST,
        api=True,
        methods=("GET", "POST"),
        writers=_log_writers,
        shows_secret=True,
        data=lambda o, w: {"decision": o.decision.pk, "name": "Refused"},
        body_target=True,
        org=True,
    ),
    "criterion-cells": Route(
        WRITE,
        api=True,
        methods=("POST",),
        writers=_log_writers,
        data=lambda o, w: {
            "criterion": o.criterion.pk,
            "option": o.option.pk,
            "text": "Refused",
            "score": 1,
        },
        body_target=True,
        org=True,
    ),
    "criterion-detail": Route(
        READ,
        api=True,
        kwargs=_pk("criterion"),
        methods=("GET", "PATCH", "DELETE"),
        writers=_log_writers,
        data={"name": "Refused"},
        org=True,
    ),
    "sensitivity-note-list": Route(
        LIST,
        api=True,
        methods=("GET", "POST"),
        writers=_log_writers,
        shows_secret=True,
        data=lambda o, w: {
            "decision": o.decision.pk,
            "condition": "Refused",
            "consequence": "x",
        },
        body_target=True,
        org=True,
    ),
    "sensitivity-note-detail": Route(
        READ,
        api=True,
        kwargs=_pk("note"),
        methods=("GET", "PATCH", "DELETE"),
        writers=_log_writers,
        data={"condition": "Refused"},
        org=True,
    ),
    "risk-acceptance-list": Route(
        LIST,
        api=True,
        methods=("GET", "POST"),
        writers=_log_writers,
        shows_secret=True,
        data=lambda o, w: {
            "title": "Refused",
            "risk_statement": "x",
            "owner": "sam",
            "decisions": [o.decision.pk],
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
        body_target=True,
    ),
    "risk-acceptance-detail": Route(
        READ,
        api=True,
        kwargs=_acc,
        methods=("GET", "PATCH", "DELETE"),
        writers=_log_writers,
        data={"title": "Refused"},
        refusals=(409,),  # only a draft is edited over the API
    ),
    "initiative-list": Route(LIST, api=True),
    "initiative-detail": Route(
        LIST,
        api=True,
        kwargs=_pk("initiative"),
        methods=("GET", "PATCH"),
        writers=lambda key, w: ARCHITECTS,
        data={"status": "planned"},
    ),
    "trigger-list": Route(LIST, api=True, shows_secret=True),
    "trigger-detail": Route(READ, api=True, kwargs=_trig),
    "trigger-acknowledge": Route(
        WRITE,
        api=True,
        kwargs=_trig,
        methods=("POST",),
        writers=_acknowledgers,
    ),
    "fired-event-list": Route(LIST, api=True, marker=lambda pay, w: f'"trigger":{pay.trigger.pk},'),
    "fired-event-detail": Route(READ, api=True, kwargs=_pk("fired")),
    "fired-event-acknowledge": Route(
        WRITE,
        api=True,
        kwargs=_pk("fired"),
        methods=("POST",),
        writers=_acknowledgers,
    ),
}

# Known leaks and wrong write permissions, fixed by other work: (route, persona) → why.
# Each is a strict xfail, so it turns red (XPASS) once fixed: then delete its line.
NOT_PAY = ("org_architect", "org_stakeholder", "org_auditor", "idn_architect")
IDN_ARCHITECTS = ("org_architect", "idn_architect")
_LEAKS: list[tuple[list[str], tuple[str, ...] | list[str], str, str]] = [
    # (routes, personas, what leaks, where the fix belongs); none known. A leak found
    # and not fixed at once goes here as a strict xfail, so it turns red when fixed.
]
KNOWN: dict[tuple[str, str], str] = {
    (route, persona): f"LEAK: {route} as {persona}: {what} ({where})"
    for routes, personas, what, where in _LEAKS
    for route in routes
    for persona in personas
}


# --- The world, once per module -------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once in a transaction that is rolled back after the module; every test runs
    in a savepoint inside it (pytest-django's ``db``). PostgreSQL only: a request's
    writes are found through pg_stat_xact_user_tables."""
    require_postgres()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            # One session per persona, signed in once (a new client per test reuses it).
            for persona, user in world.people.items():
                client = Client()
                client.force_login(user)
                world.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def w(world, db):
    return world


# --- The resolver ---------------------------------------------------------------------


def resolver_routes() -> dict[str, str]:
    """{route name (with namespaces): pattern} of every URL; an unnamed pattern is named
    by its namespace and pattern. The router's format-suffix variants fold into one."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or f"~{route}"
                found.setdefault(f"{namespace}:{name}" if namespace else name, route)

    walk(get_resolver().url_patterns, "", None)
    return found


UNNAMED = {"~api/^.*$": "api:not-found"}


def unclassified_routes() -> list[str]:
    """The URLs of the resolver that ROUTES gives no permission decision."""
    return [
        f"{name}  ({route})"
        for name, route in resolver_routes().items()
        # The admin is staff-only wholesale: test_the_admin_is_staff_only.
        if not name.startswith("admin:") and UNNAMED.get(name, name) not in ROUTES
    ]


def test_every_route_is_classified():
    unclassified = unclassified_routes()
    assert not unclassified, (
        "URLs without a permission decision in tests/permissions/test_every_url.py ROUTES:\n"
        + "\n".join(unclassified)
    )
    stale = set(ROUTES) - {UNNAMED.get(n, n) for n in resolver_routes()}
    assert not stale, f"ROUTES names URLs that no longer exist: {sorted(stale)}"


@pytest.mark.urls("tests.permissions.urls_extra")
def test_a_new_url_without_a_permission_decision_is_found():
    assert unclassified_routes() == [
        "extra:undecided  (undecided/<int:pk>/)",
        "~unnamed/  (unnamed/)",
    ]


# --- Did a request change the database? -------------------------------------------------
#
# PostgreSQL counts, per table, the rows the current transaction inserted, updated or
# deleted (pg_stat_xact_user_tables, savepoints rolled back included). A request that
# touched no table changed nothing; for the tables it touched, the rows as they were
# (after rolling its savepoint back) are compared with the rows it left.

SKIPPED_TABLES = ("django_session", "axes_")
TOUCHED_SQL = "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"


def _touched() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(TOUCHED_SQL)
        return {t: n for t, n in cursor.fetchall() if n and not t.startswith(SKIPPED_TABLES)}


def _rows(table: str) -> str:
    q = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) || ':' || "
            f"coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '') FROM {q} r"
        )
        return cursor.fetchone()[0]


def send_and_compare(client: Client, method: str, url: str, data: dict, *, api: bool):
    """Send the request; return (response, the tables whose rows it changed)."""
    savepoint = transaction.savepoint()
    before = _touched()
    response = _send(client, method, url, data, api=api)
    after = _touched()
    tables = sorted(t for t, n in after.items() if n != before.get(t, 0))
    if not tables:
        transaction.savepoint_commit(savepoint)
        return response, []
    left = {t: _rows(t) for t in tables}
    transaction.savepoint_rollback(savepoint)
    return response, [t for t in tables if _rows(t) != left[t]]


# --- Requests -----------------------------------------------------------------------------


def client_for(world: World, persona: str) -> Client:
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    return client


def _url(name: str, route: Route, obj, world: World) -> str:
    if name == "api:not-found":
        return "/api/nothing-here/"
    kwargs = route.kwargs(obj, world) if route.kwargs else {}
    query = route.query(obj, world) if callable(route.query) else route.query
    return reverse(name, kwargs=kwargs) + query


class _FormFields(HTMLParser):
    """The fields of a page's POST forms, as a browser would send them untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.fields.setdefault(name, []).append(a.get("value", default))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data


_FORMS: dict[str, dict] = {}


def _form_fields(url: str, world: World) -> dict:
    if url not in _FORMS:
        response = client_for(world, "staff").get(url)
        assert response.status_code == 200, (url, response.status_code)
        parser = _FormFields()
        parser.feed(_body(response))
        parser.fields.pop("csrfmiddlewaretoken", None)
        _FORMS[url] = parser.fields
    return dict(_FORMS[url])


def _data(route: Route, obj, world: World, url: str = "") -> dict:
    data = route.data(obj, world) if callable(route.data) else dict(route.data)
    if route.form:
        data = _form_fields(url.split("?")[0], world) | data
    return data


def _send(client: Client, method: str, url: str, data: dict, *, api: bool):
    if method == "GET":
        return client.get(url)
    if api:
        return client.generic(method, url, data=json.dumps(data), content_type="application/json")
    return client.post(url, data)


def _body(response) -> str:
    """The response's text; a zip's files, unpacked."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if response.get("Content-Type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"\n".join(archive.read(name) for name in archive.namelist())
    return content.decode("utf-8", "replace")


def shows_pay(body: str) -> str | None:
    """What in ``body`` shows something of the private log PAY, if anything."""
    return next((m for m in PAY_MARKS if m in body), None)


def _anonymous_refused(response, route: Route) -> bool:
    if route.api:
        return response.status_code in (401, 403)
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def _targets(route: Route, keys: tuple) -> tuple:
    return (*keys, "ORG") if route.org and keys != (None,) else keys


def check_get(name: str, route: Route, world: World, persona: str, client: Client) -> list[str]:
    problems = []
    targets = _targets(route, KEYS if route.kwargs else (None,))
    for key in targets:
        obj = world[key] if key else None
        url = _url(name, route, obj, world)
        response = client.get(url)
        body = _body(response)
        status = response.status_code
        reads_pay = persona in READERS["PAY"]
        if status >= 500:
            problems.append(f"GET {url}: {status}")
            continue
        mark = route.marker(world["PAY"], world) if route.marker else None
        seen = shows_pay(body) or (mark if mark and mark in body else None)
        if not reads_pay and seen:
            problems.append(f"GET {url}: {status} shows {seen!r} to {persona}")
        if route.kind in (PUBLIC, AUTH):
            if persona == "anonymous" and status not in route.ok:
                problems.append(f"GET {url}: {status}, expected {route.ok}")
            continue
        if persona == "anonymous":
            if not _anonymous_refused(response, route):
                problems.append(f"GET {url}: {status} to an anonymous visitor")
            continue
        readers = route.readers or (_role_holders if route.kind in (LIST, SELF) else _log_readers)
        allowed = readers(key, world)
        if route.kind == SELF and route.readers is None:
            allowed = LOGGED_IN
        if route.kind in (READ, PAGE) and key is not None:
            allowed = allowed & READERS[key] if route.readers is None else allowed
            if route.kind == PAGE and route.readers is None:
                allowed = route.writers(key, world)
        elif route.kind == PAGE and route.readers is None:
            allowed = route.writers(None, world)
        if persona in allowed:
            if status not in route.ok:
                problems.append(f"GET {url}: {status} to {persona}, expected {route.ok}")
            elif route.shows_secret and reads_pay and SECRET not in body:
                problems.append(f"GET {url}: {persona} reads PAY but finds no {SECRET!r}")
            elif mark and reads_pay and mark not in body:
                problems.append(f"GET {url}: {persona} reads PAY but finds no {mark!r}")
        elif status not in (403, 404) and not (route.kind in (LIST,) and status == 200):
            problems.append(f"GET {url}: {status} to {persona}, expected 403/404")
    return problems


# Of a route's writers, one is shown not to be refused (the team's own architect first:
# the case the teams rule is about); refusals are checked for every other persona.
WRITER_PREFERENCE = {
    "PAY": ("pay_architect", "pay_stakeholder", "staff"),
    "IDN": ("idn_architect", "org_architect", "staff"),
    "ORG": ("org_architect", "staff"),
    None: ("idn_architect", "pay_architect", "org_architect", "staff", "org_stakeholder"),
}


def checked_writer(writers: frozenset[str], key: str | None) -> str | None:
    return next((p for p in WRITER_PREFERENCE[key] if p in writers), min(writers, default=None))


def check_writes(name: str, route: Route, world: World, persona: str, client: Client) -> list[str]:
    problems = []
    methods = [m for m in route.methods if m != "GET"]
    if route.kind == PAGE and "POST" not in methods and route.methods != ("GET",):
        methods.append("POST")
    targets = _targets(route, KEYS if (route.kwargs or route.body_target) else (None,))
    for key in targets:
        obj = world[key] if key else None
        url = _url(name, route, obj, world)
        writers = route.writers(key, world)
        for method in methods:
            data = _data(route, obj, world, url) if (route.data or key) else {}
            if persona in writers:
                if persona != checked_writer(writers, key):
                    continue
                # Whatever it writes is rolled back (send_and_compare).
                response, changed = send_and_compare(client, method, url, data, api=route.api)
                if response.status_code in (403, 404) or response.status_code >= 500:
                    problems.append(
                        f"{method} {url}: {response.status_code} refuses the writer {persona}"
                    )
                elif route.body_target and not changed:
                    # The same data from a non-writer must be refused for the target alone.
                    problems.append(
                        f"{method} {url}: the writer {persona}'s request wrote nothing "
                        f"({response.status_code}): its data proves no refusal"
                    )
                continue
            response, changed = send_and_compare(client, method, url, data, api=route.api)
            status = response.status_code
            refusals = (403, 404, 405) + ((400,) if route.body_target else ()) + route.refusals
            refused = status in refusals or (
                persona == "anonymous" and _anonymous_refused(response, route)
            )
            if route.kind == PUBLIC:
                refused = status in route.ok
            if not refused:
                problems.append(f"{method} {url}: {status} to {persona}, expected a refusal")
            if changed:
                problems.append(f"{method} {url}: {persona} changed {', '.join(changed)}")
            seen = shows_pay(_body(response))
            if persona not in READERS["PAY"] and seen:
                problems.append(f"{method} {url}: shows {seen!r} to {persona}")
    return problems


def _cases():
    for name in ROUTES:
        for persona in PERSONAS:
            reason = KNOWN.get((name, persona))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(name, persona, marks=marks, id=f"{name}-{persona}")


@pytest.mark.parametrize("name, persona", list(_cases()))
def test_route(w, name, persona):
    route = ROUTES[name]
    problems = []
    client = client_for(w, persona)
    if "GET" in route.methods:
        problems += check_get(name, route, w, persona, client)
    problems += check_writes(name, route, w, persona, client)
    assert not problems, "\n".join(problems)


# --- Feeds and the admin -----------------------------------------------------------------


FEED_LEAKS: dict[str, str] = {}  # persona → a known leak (strict xfail); none known


@pytest.mark.parametrize(
    "persona",
    [
        pytest.param(
            p,
            marks=[pytest.mark.xfail(strict=True, reason=FEED_LEAKS[p])] if p in FEED_LEAKS else [],
        )
        for p in PERSONAS
        if p != "anonymous"
    ],
)
def test_calendar_feeds(w, persona):
    client = Client()
    response = client.get(reverse("calendar:feed", kwargs={"token": w.feeds[persona]}))
    assert response.status_code == 200
    body = _body(response)
    assert "BEGIN:VCALENDAR" in body
    # A feed holds its person's own dates: PAY's owner finds PAY's, no outsider does.
    if persona == "pay_architect":
        assert shows_pay(body), body
    elif persona not in READERS["PAY"]:
        assert not shows_pay(body), shows_pay(body)
    assert client.get(reverse("calendar:feed", kwargs={"token": "x" * 43})).status_code == 404


def _admin_urls(world: World) -> list[str]:
    urls = []
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    return urls


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "staff"])
def test_the_admin_is_staff_only(w, persona):
    client = client_for(w, persona)
    urls = _admin_urls(w)
    assert len(urls) > 20
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403), (url, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"], url
        assert SECRET not in _body(response), url


@pytest.mark.parametrize("persona", ["staff", "pay_stakeholder", "org_architect", "org_auditor"])
def test_a_relation_to_the_private_log_shows_to_its_readers_only(w, persona):
    """IDN's decision relates to PAY's second decision: the link (PAY-0002 and its
    title) is on IDN's page, history, export and API detail for PAY's readers only."""
    client = client_for(w, persona)
    idn = w["IDN"].decision
    urls = [
        reverse("adr:decision-detail", kwargs={"key": "IDN", "number": idn.number}),
        reverse("adr:decision-history", kwargs={"key": "IDN", "number": idn.number}),
        reverse("interop:export", kwargs={"key": "IDN"}),
        reverse("decision-detail", kwargs={"pk": idn.reference}),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert ("PAY-0002" in _body(response) or SECRET in _body(response)) is (
            persona in READERS["PAY"]
        ), url
