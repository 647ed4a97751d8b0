"""A team-private log leaks into no email and no in-app notification (issue 14).

The world: the Payments team owns the private log PAY; in it a decision, a risk
acceptance resting on it and (per case) a trigger on the acceptance. Every audience role
of ``config.notifications.table.TABLE`` is filled by a member of Payments and, where a
person may be put there, by someone who is not (or no longer) one:

- ``pat`` (Payments architect) writes, submits and asks for reviews; ``paula`` (Payments
  stakeholder) owns the acceptance; ``penny`` (Payments stakeholder) signs, watches,
  reviews, is mentioned;
- ``nina`` (organisation-wide stakeholder, never in Payments) is a named signatory: the
  people an acceptance names read it (risks.access), so she hears what signatories hear;
- ``arnold`` (drafted the decision and the acceptance as a Payments architect: an
  *author*) and ``leo`` (a watcher and escalation contact while in Payments) both leave
  the team before the event: they keep their organisation-wide role, and hear nothing
  of PAY any more;
- ``orla`` (an organisation-wide architect) and ``olga`` (no role) are never in PAY's
  business; ``steve`` is staff.

Every event of the table has a case below (a new event without one fails), driven
through the real services; each asserts exactly who got a row (= an email and an in-app
entry) and that everyone who did may read what it is about by the pages' own rule.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from adr.access import readable_decisions
from adr.models import Decision
from adr.services import decision_create, log_create
from config.accounts.teams import membership_remove, membership_set, team_create
from config.notifications.models import Notification
from config.notifications.services import notify_users
from config.notifications.table import TABLE
from config.readers import UnknownSubject
from risks import services as risks
from risks.access import readable_acceptance_q
from risks.models import RiskAcceptance
from tests.conftest import make_user
from triggers.access import readable_trigger_q
from triggers.models import Trigger
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement routing"
NEVER = {"arnold", "leo", "orla", "olga"}  # no row, ever, about anything in PAY


class World:
    def __init__(self, django_user_model, staff):
        def user(name, role=None):
            return make_user(django_user_model, name, role)

        self.staff = staff
        self.pat, self.arnold = user("pat"), user("arnold", "stakeholder")
        self.paula, self.penny = user("paula"), user("penny")
        self.leo, self.nina = user("leo", "stakeholder"), user("nina", "stakeholder")
        self.orla, self.olga = user("orla", "architect"), user("olga")
        self.team = team_create(actor=staff, name="Payments")
        for person, role in (
            (self.pat, "architect"),
            (self.arnold, "architect"),
            (self.paula, "stakeholder"),
            (self.penny, "stakeholder"),
            (self.leo, "stakeholder"),
        ):
            membership_set(actor=staff, team=self.team, user=person, role=role)
        self.log = log_create(
            actor=self.pat, key="PAY", name="Payments", team=self.team, private=True
        )
        self.decision = decision_create(actor=self.arnold, log=self.log, title=SECRET)
        self.acceptance = risks.acceptance_create(
            actor=self.arnold,
            title=f"{SECRET} runs unpatched",
            risk_statement="Settlement keys sit on one host.",
            owner=self.paula,
            decisions=[self.decision],
            expires_on=timezone.localdate() + timedelta(days=120),
            mitigations=[{"description": "HSM next quarter", "status": "planned"}],
            signatories=[
                {"user": self.penny, "meaning": "risk owner"},
                {"user": self.nina, "meaning": "finance"},
            ],
        )
        # A date trigger far away: what makes the acceptance submittable.
        self.trigger(days=60, watchers=[self.penny])

    def trigger(self, *, days: int = 0, watchers=(), **extra) -> Trigger:
        if "kind" not in extra:
            date = (timezone.localdate() + timedelta(days=days)).isoformat()
            extra |= {"kind": "date", "params": {"date": date, "lead_days": [7]}}
        return trigger_create(
            actor=self.pat,
            name=f"{SECRET} sunset in {days} days",
            risk_acceptance=self.acceptance,
            watchers=list(watchers),
            **extra,
        )

    def leave(self) -> None:
        """arnold and leo leave Payments (they keep their organisation-wide role)."""
        for person in (self.arnold, self.leo):
            membership_remove(actor=self.staff, team=self.team, user=person)

    def fresh(self) -> RiskAcceptance:
        return RiskAcceptance.objects.get(pk=self.acceptance.pk)

    def submit(self) -> RiskAcceptance:
        return risks.acceptance_submit(actor=self.pat, acceptance=self.fresh())

    def sign(self, person, verdict: str = "approve") -> None:
        risks.sign_verified(actor=person, acceptance=self.fresh(), verdict=verdict, reason="no")


@pytest.fixture
def world(django_user_model, staff):
    return World(django_user_model, staff)


def heard(event: str, **about) -> set[str]:
    rows = Notification.objects.filter(event=event, **about)
    return set(rows.values_list("user__username", flat=True))


def _reads(user, row: Notification) -> bool:
    """May ``user`` read what ``row`` is about, by the rule the pages use?"""
    fresh = type(user).objects.get(pk=user.pk)  # no cached roles
    pk = row.subject_id
    match row.subject_type:
        case "adr.decision":
            return readable_decisions(fresh).filter(pk=pk).exists()
        case "risks.riskacceptance":
            return RiskAcceptance.objects.filter(readable_acceptance_q(fresh), pk=pk).exists()
        case "triggers.trigger":
            return Trigger.objects.filter(readable_trigger_q(fresh), pk=pk).exists()
        case "comments.comment":
            from comments.models import Comment

            document = Comment.objects.get(pk=pk).document
            return _reads(
                user, Notification(subject_type=document._meta.label_lower, subject_id=document.pk)
            )
    raise AssertionError(f"a row about {row.subject_type}: teach _reads about it")


def assert_no_leak() -> None:
    """Nobody outside PAY got anything; whoever got a row reads its subject."""
    rows = Notification.objects.filter(user__isnull=False).select_related("user")
    assert not {row.user.username for row in rows} & NEVER
    for row in rows:
        assert _reads(row.user, row), (row.event, row.user.username)


# --- One case per event of the table --------------------------------------------------


def signature_requested(w: World) -> set[str]:
    w.leave()
    w.submit()
    return {"penny", "nina"}


def signature_rerequested(w: World) -> set[str]:
    w.submit()
    w.leave()
    w.sign(w.penny)
    risks.acceptance_update(actor=w.pat, acceptance=w.fresh(), scope="Also the EU shard")
    return {"penny", "nina"}


def signature_withdrawn(w: World) -> set[str]:
    w.submit()
    w.leave()
    w.sign(w.penny, "decline")  # nina's signature is no longer needed
    return {"nina"}


def acceptance_signed(w: World) -> set[str]:
    w.submit()
    w.leave()
    w.sign(w.nina)
    return {"paula"}


def acceptance_declined(w: World) -> set[str]:
    w.submit()
    w.leave()
    w.sign(w.nina)
    w.sign(w.penny, "decline")
    return {"paula", "pat", "nina"}  # owner, submitter, voided; not arnold, who drafted


def acceptance_accepted(w: World) -> set[str]:
    w.submit()
    w.leave()
    w.sign(w.nina)
    w.sign(w.penny)
    assert w.fresh().state == "accepted"
    return {"paula", "pat", "nina"}  # not arnold, who drafted it


TRIGGER_AUDIENCE = {"penny", "paula", "nina"}  # watcher, owner, signatories; not leo


def trigger_warning(w: World) -> set[str]:
    w.submit()
    w.trigger(days=3, watchers=[w.penny, w.leo], escalation_contact=w.leo)
    w.leave()
    sweep()
    return TRIGGER_AUDIENCE


def trigger_fired(w: World) -> set[str]:
    w.submit()
    w.trigger(days=-1, watchers=[w.penny, w.leo], escalation_contact=w.leo)
    w.leave()
    sweep()
    return TRIGGER_AUDIENCE


def trigger_reminder(w: World, settings) -> set[str]:
    w.submit()
    trigger = w.trigger(days=-1, watchers=[w.penny, w.leo], escalation_contact=w.leo)
    w.leave()
    sweep()
    now = timezone.now()
    for _ in range(settings.LEDGER_REMINDERS_BEFORE_ESCALATION + 1):
        now += timedelta(days=settings.LEDGER_REMINDER_EVERY_DAYS, hours=1)
        Trigger.objects.filter(pk=trigger.pk).update(next_check_at=now)
        sweep(now=now)
    assert Trigger.objects.get(pk=trigger.pk).reminders_sent > (
        settings.LEDGER_REMINDERS_BEFORE_ESCALATION
    )  # so the escalation contact (leo) would have been told
    return TRIGGER_AUDIENCE


class _Broken(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()


def trigger_probe_broken(w: World, settings) -> set[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LEDGER_METRIC_ALLOW_PRIVATE = True
    settings.LEDGER_METRIC_FAILURES_BEFORE_ALERT = 2
    try:
        w.submit()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/usage.json"
        trigger = w.trigger(
            kind="metric",
            params={"url": url, "path": "daily_users", "op": "<", "threshold": 50},
            watchers=[w.penny, w.leo],
        )
        w.leave()
        for _ in range(2):
            trigger.refresh_from_db()
            sweep(now=trigger.next_check_at)
    finally:
        httpd.shutdown()
        httpd.server_close()
    return TRIGGER_AUDIENCE


def comment_mentioned(w: World) -> set[str]:
    from comments.services import comment_post

    w.leave()
    try:  # comments refuse to mention a non-reader; if not, the outbox still drops him
        comment_post(actor=w.penny, document=w.decision, body="@leo have a look")
    except ValidationError as refused:
        assert "cannot read" in str(refused)
    comment_post(actor=w.penny, document=w.decision, body="@pat @paula have a look")
    return {"pat", "paula"}


def acceptance_review_due(w: World) -> set[str]:
    from riskpolicy.bands import BandRow
    from riskpolicy.services import capacity_grant, policy_save, review_reminders_send

    policy_save(actor=w.staff, rows=[BandRow("All", 1, 25, ["risk owner"], 12, 30)])
    capacity_grant(actor=w.staff, username="penny", capacity="risk owner")
    w.submit()
    w.leave()
    w.sign(w.penny)
    w.sign(w.nina)
    review_reminders_send(today=timezone.localdate() + timedelta(days=31))
    return {"paula"}


def review_requested(w: World) -> set[str]:
    from reviews.services import review_request

    w.leave()
    with pytest.raises(ValidationError, match="private log"):
        review_request(actor=w.pat, decision=w.decision, usernames=["leo"])
    review_request(actor=w.pat, decision=w.decision, usernames=["penny"])
    return {"penny"}


def review_submitted(w: World) -> set[str]:
    from reviews.services import review_request, review_submit

    review_request(actor=w.pat, decision=w.decision, usernames=["penny"])
    w.leave()
    decision = Decision.objects.get(pk=w.decision.pk)
    review_submit(
        actor=w.penny, decision=decision, verdict="approve", expected_version=decision.version
    )
    return {"pat"}  # who asked; not arnold, who wrote the decision and left


CASES: dict[str, Callable[..., set[str]]] = {
    "signature.requested": signature_requested,
    "signature.rerequested": signature_rerequested,
    "signature.withdrawn": signature_withdrawn,
    "acceptance.signed": acceptance_signed,
    "acceptance.declined": acceptance_declined,
    "acceptance.accepted": acceptance_accepted,
    "trigger.warning": trigger_warning,
    "trigger.fired": trigger_fired,
    "trigger.reminder": trigger_reminder,
    "trigger.probe_broken": trigger_probe_broken,
    "comment.mentioned": comment_mentioned,
    "acceptance.review_due": acceptance_review_due,
    "review.requested": review_requested,
    "review.submitted": review_submitted,
}


@pytest.mark.parametrize("event", [rule.event for rule in TABLE])
def test_an_event_about_a_private_log_reaches_its_readers_only(event, world, settings):
    case = CASES.get(event)
    if case is None:
        pytest.fail(f"{event} has no private-log case in {__name__}: add one to CASES")
    wants_settings = "settings" in case.__code__.co_varnames[: case.__code__.co_argcount]
    expected = case(world, settings) if wants_settings else case(world)
    assert heard(event) == expected
    assert_no_leak()


def test_every_case_is_an_event_of_the_table():
    assert set(CASES) <= {rule.event for rule in TABLE}


# --- The outbox filter itself ---------------------------------------------------------


def test_the_outbox_drops_whoever_may_not_read_what_an_email_is_about(world):
    world.leave()
    everyone = [world.penny, world.leo, world.arnold, world.orla, world.olga, world.staff]
    notify_users(
        users=everyone,
        event="review.requested",
        key="test:private",
        template="review-requested",
        context={"decision": world.decision, "by": world.pat, "url": "/"},
        about=world.decision,
    )
    assert heard("review.requested", subject_id=world.decision.pk) == {"penny", "steve"}
    # A decision of a log that is not private: every reader, and (as before teams) a
    # named person without a role, is told.
    open_log = log_create(actor=world.staff, key="ORG", name="Organisation")
    open_decision = decision_create(actor=world.staff, log=open_log, title="Open")
    notify_users(
        users=everyone,
        event="review.requested",
        key="test:open",
        template="review-requested",
        context={"decision": open_decision, "by": world.pat, "url": "/"},
        about=open_decision,
    )
    assert heard("review.requested", subject_id=open_decision.pk) == {
        "penny",
        "leo",
        "arnold",
        "orla",
        "olga",
        "steve",
    }


def test_extra_addresses_of_a_private_trigger_are_still_told(world):
    """Not ledger users: the log's writers who typed them in chose to tell them."""
    world.submit()
    world.trigger(days=-1, watchers=[world.penny], extra_addresses="payments-oncall@example.test")
    sweep()
    fired = Notification.objects.filter(event="trigger.fired")
    assert "payments-oncall@example.test" in set(fired.values_list("recipient", flat=True))
    assert_no_leak()


def test_an_email_about_an_unregistered_model_is_an_error_not_a_send(world):
    with pytest.raises(UnknownSubject, match="accounts.team"):
        notify_users(
            users=[world.penny],
            event="review.requested",
            key="test:unknown",
            template="review-requested",
            context={"decision": world.decision, "by": world.pat, "url": "/"},
            about=world.team,
        )
    assert not Notification.objects.exists()


def test_a_trigger_refuses_watchers_who_cannot_read_it_by_name(world):
    world.leave()
    with pytest.raises(ValidationError) as refused:
        world.trigger(days=30, watchers=[world.penny, world.leo], escalation_contact=world.orla)
    assert "leo cannot read this trigger" in str(refused.value.message_dict["watchers"])
    assert "orla cannot read" in str(refused.value.message_dict["escalation_contact"])
    assert not Trigger.objects.filter(name__contains="in 30 days").exists()
    # Named on the acceptance, nina reads it and may watch its trigger.
    trigger = world.trigger(days=30, watchers=[world.penny, world.nina])
    from triggers.services import trigger_update

    with pytest.raises(ValidationError, match="leo cannot read"):
        trigger_update(
            actor=world.pat,
            trigger=trigger,
            name=trigger.name,
            watchers=[world.penny, world.nina, world.leo],
        )
    assert set(trigger.watchers.values_list("username", flat=True)) == {"penny", "nina"}


def test_the_people_an_acceptance_names_read_it_outside_its_team(world, login):
    world.submit()
    assert login(world.nina).get(f"/risks/{world.acceptance.pk}/").status_code == 200
    assert login(world.orla).get(f"/risks/{world.acceptance.pk}/").status_code == 404
    nina_list = login(world.nina).get("/risks/").content.decode()
    assert SECRET in nina_list


# --- The daily digest -----------------------------------------------------------------


def test_a_digest_leaves_out_what_its_reader_may_no_longer_read(world, settings):
    from config.preferences.digest import DIGEST_EVENT, digests_send_due
    from config.preferences.services import preference_set

    for person in (world.penny, world.leo):
        preference_set(user=person, event_class="trigger_warnings", mode="digest")
    world.submit()
    world.trigger(days=3, watchers=[world.penny, world.leo])
    sweep()  # leo is still in Payments: the warning is held for his digest too
    held = Notification.objects.filter(event="trigger.warning", state="held")
    assert set(held.values_list("user__username", flat=True)) == {"penny", "leo"}
    world.leave()
    zone = ZoneInfo(settings.TIME_ZONE)
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    at = datetime(day.year, day.month, day.day, settings.LEDGER_DIGEST_HOUR, 5, tzinfo=zone)
    assert digests_send_due(now=at) == 1
    digest = Notification.objects.get(event=DIGEST_EVENT)
    assert digest.user == world.penny and SECRET in digest.body_text
    left_out = Notification.objects.get(event="trigger.warning", user=world.leo)
    assert left_out.state == "cancelled"
    assert not Notification.objects.filter(event=DIGEST_EVENT, user=world.leo).exists()


# --- The in-app list ------------------------------------------------------------------


def test_the_in_app_list_stops_showing_a_private_log_to_whoever_left_its_team(world, login):
    world.submit()
    world.trigger(days=3, watchers=[world.penny, world.leo])
    sweep()  # leo is still in Payments: he is told, by email and in the app
    mine = Notification.objects.get(event="trigger.warning", user=world.leo)
    assert SECRET in mine.subject
    world.leave()
    page = login(world.leo).get("/notifications/").content.decode()
    assert SECRET not in page and "About a document you can no longer read" in page
    detail = login(world.leo).get(f"/notifications/{mine.pk}/").content.decode()
    assert SECRET not in detail and 'id="notification-hidden"' in detail
    assert 'id="notification-about"' not in detail
    # Penny is still in the team: hers are shown as they were sent.
    hers = Notification.objects.get(event="trigger.warning", user=world.penny)
    assert SECRET in login(world.penny).get("/notifications/").content.decode()
    assert SECRET in login(world.penny).get(f"/notifications/{hers.pk}/").content.decode()
