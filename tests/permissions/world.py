"""The world of the URL-by-URL permission tests (tests/permissions/test_every_url.py).

Built once per module through the services (the real write paths), never ORM inserts:

- personas: staff; organisation-wide architect, stakeholder and auditor; the Payments
  team's architect, stakeholder and auditor (no organisation-wide role); the Identity team's
  architect; a user with no role (and, in the tests, an anonymous visitor);
- logs: ORG (no team), IDN (the Identity team's, read by everybody with a role) and PAY
  (the Payments team's, private);
- in PAY and in IDN: a proposed decision with options, criteria, a matrix cell, a
  sensitivity note and a relation; a risk acceptance linked to it (an in-team
  signatory, a mitigation owned by the organisation-wide auditor, submitted); an
  initiative and a trigger waiting for it that has fired (a FiredEvent), watched by its
  signatory and by the organisation-wide stakeholder; a comment; a review request; a
  channel; an import job. (The auditor and the stakeholder are named on PAY's objects
  but may not read PAY: what they are shown must not show PAY either.)
- a calendar feed token for every persona.

Everything of PAY carries ``SECRET`` in its title, name or body, so any response that
holds ``SECRET`` shows something of the private log.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from tests.conftest import make_user
from tests.support.http_receiver import Receiver
from tests.support.teams import payments_and_identity

SECRET = "Zanzibar"
KEYS = ("PAY", "IDN")

PERSONAS = (
    "staff",
    "org_architect",
    "org_stakeholder",
    "org_auditor",
    "pay_architect",
    "pay_stakeholder",
    "pay_auditor",
    "idn_architect",
    "nobody",
    "anonymous",
)
# Who reads each log (anonymous and the user with no role read nothing).
READERS = {
    "PAY": frozenset({"staff", "pay_architect", "pay_stakeholder", "pay_auditor"}),
    "IDN": frozenset(set(PERSONAS) - {"nobody", "anonymous"}),
    "ORG": frozenset(set(PERSONAS) - {"nobody", "anonymous"}),
}
# Who writes in each log (adr.access.can_write_log).
WRITERS = {
    "PAY": frozenset({"staff", "pay_architect"}),
    "IDN": frozenset({"staff", "org_architect", "idn_architect"}),
    "ORG": frozenset({"staff", "org_architect"}),
}


@dataclass
class Objects:
    """What one log (PAY or IDN; ORG holds its decisions' parts only) holds."""

    log: object
    decision: object
    other: object  # a second decision of the log (the relation's target)
    option: object
    criterion: object
    note: object
    relation: object
    acceptance: object = None
    accepted: object = None  # a second acceptance, signed 40 days ago: due for review
    initiative: object = None
    trigger: object = None
    fired: object = None
    comment: object = None
    review_request: object = None
    channel: object = None
    delivery: object = None  # the channel's post of the fired trigger (pending)
    import_job: object = None


@dataclass
class World:
    people: dict
    objects: dict[str, Objects]
    feeds: dict[str, str] = field(default_factory=dict)  # persona → raw calendar token
    org_log: object = None
    staff_token: object = None  # an API token of staff's (only staff revokes it)
    # key → an email (and in-app notification) to that log's signatory about its objects
    emails: dict = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # persona → session key

    def __getitem__(self, key: str) -> Objects:
        return self.objects[key]


def _people() -> dict:
    users = get_user_model()
    people = {
        "staff": make_user(users, "steve", "architect", display_name="Steve Staff", is_staff=True),
        "org_architect": make_user(users, "orla", "architect"),
        "org_stakeholder": make_user(users, "sam", "stakeholder"),
        "org_auditor": make_user(users, "audrey", "auditor"),
        "pay_architect": make_user(users, "pat", None),
        "pay_stakeholder": make_user(users, "paula", None),
        "pay_auditor": make_user(users, "paddy", None),
        "idn_architect": make_user(users, "ian", None),
        "nobody": make_user(users, "olga", None),
    }
    return people


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _objects(*, key: str, log, people: dict, writer, signer, receiver_url: str) -> Objects:
    from adr import services as adr
    from adr.interop.jobs import job_start
    from comments.services import comment_post
    from reviews.services import review_request
    from risks import services as risks
    from triggers import services as triggers
    from triggers.channels.models import ChannelDelivery
    from triggers.channels.services import channel_create
    from triggers.models import FiredEvent

    label = f"{SECRET} {key} settlement" if key == "PAY" else f"Open {key} settlement"
    today = timezone.localdate()
    decision = adr.decision_create(
        actor=writer,
        log=log,
        title=f"{label} routing",
        status="proposed",
        revisit_by=today + timedelta(days=90),
    )
    other = adr.decision_create(actor=writer, log=log, title=f"{label} fallback")
    option = adr.option_save(actor=writer, decision=decision, title=f"{label} option")
    adr.option_save(actor=writer, decision=decision, title=f"{label} second option")
    criterion = adr.criterion_save(actor=writer, decision=decision, name=f"{label} criterion")
    adr.cell_set(actor=writer, criterion=criterion, option=option, text=f"{label} cell", score=2)
    note = adr.sensitivity_note_save(
        actor=writer, decision=decision, condition=f"{label} condition", consequence="Revisit."
    )
    relation = adr.relation_add(actor=writer, source=decision, target=other, kind="relates_to")
    acceptance = risks.acceptance_create(
        actor=writer,
        title=f"{label} acceptance",
        risk_statement=f"{label}: kept live on purpose.",
        owner=writer,
        decisions=[decision],
        expires_on=today + timedelta(days=60),
        mitigations=[
            {
                "description": f"{label} mitigation",
                "status": "planned",
                "owner": people["org_auditor"],
                "due_on": today + timedelta(days=20),
            }
        ],
        signatories=[{"user": signer, "meaning": "risk owner"}],
    )
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=True):
        accepted = risks.acceptance_create(
            actor=writer,
            title=f"{label} accepted risk",
            risk_statement=f"{label}: accepted.",
            owner=writer,
            decisions=[decision],
            expires_on=today + timedelta(days=60),
            signatories=[{"user": signer, "meaning": "risk owner"}],
        )
        triggers.trigger_create(
            actor=writer,
            name=f"{label} review date",
            kind="date",
            params={"date": (today + timedelta(days=50)).isoformat()},
            decisions=[decision],
            risk_acceptance=accepted,
        )
        accepted = risks.acceptance_submit(actor=writer, acceptance=accepted)
        risks.sign_verified(
            actor=signer, acceptance=accepted, verdict="approve", auth_method="the test world"
        )
        accepted.refresh_from_db()
        assert accepted.state == "accepted", accepted.state
    initiative = triggers.initiative_create(actor=writer, name=f"Gateway work {key}")
    trigger = triggers.trigger_create(
        actor=writer,
        name=f"{label} trigger",
        kind="initiative",
        initiative=initiative,
        decisions=[decision],
        risk_acceptance=acceptance,
        watchers=[signer, people["org_stakeholder"]],
    )
    acceptance = risks.acceptance_submit(actor=writer, acceptance=acceptance)
    # The log's channel exists before the trigger fires: the firing queues a delivery.
    channel, _ = channel_create(
        actor=writer, log=log, kind="json", name=f"{label} channel", url=receiver_url
    )
    triggers.initiative_set_status(actor=writer, initiative=initiative, status="done")
    fired = FiredEvent.objects.get(trigger=trigger)
    delivery = ChannelDelivery.objects.get(channel=channel)
    comment = comment_post(actor=writer, document=decision, body=f"{label} comment")
    comment_post(actor=writer, document=acceptance, body=f"{label} acceptance comment")
    (review,) = review_request(actor=writer, decision=decision, usernames=[signer.username])
    readme = f"# {label} imported\n\n## Context and Problem Statement\n\nWhy.\n"
    job = job_start(
        log=log,
        actor=writer,
        name=f"{key}-upload.zip",
        data=_zip({"0001-imported.md": readme}),
        preview=True,
    )
    return Objects(
        log=log,
        decision=decision,
        other=other,
        option=option,
        criterion=criterion,
        note=note,
        relation=relation,
        acceptance=acceptance,
        accepted=accepted,
        initiative=initiative,
        trigger=trigger,
        fired=fired,
        comment=comment,
        review_request=review,
        channel=channel,
        delivery=delivery,
        import_job=job,
    )


def _decision_parts(*, key: str, log, writer) -> Objects:
    """The organisation-wide log's decisions with their parts (written by staff and
    organisation-wide architects only)."""
    from adr import services as adr

    decision = adr.decision_create(actor=writer, log=log, title=f"Open {key} routing")
    other = adr.decision_create(actor=writer, log=log, title=f"Open {key} fallback")
    return Objects(
        log=log,
        decision=decision,
        other=other,
        option=adr.option_save(actor=writer, decision=decision, title=f"{key} option"),
        criterion=adr.criterion_save(actor=writer, decision=decision, name=f"{key} criterion"),
        note=adr.sensitivity_note_save(
            actor=writer, decision=decision, condition=f"{key} condition", consequence="Revisit."
        ),
        relation=adr.relation_add(actor=writer, source=decision, target=other, kind="relates_to"),
    )


def build_world() -> World:
    from adr import services as adr
    from config.accounts.services import api_token_create
    from config.accounts.teams import membership_remove
    from config.calendar.services import calendar_feed_regenerate
    from config.notifications.models import Notification
    from riskpolicy.bands import BandRow
    from riskpolicy.services import policy_save

    people = _people()
    staff = people["staff"]
    pay, idn = payments_and_identity(
        staff=staff,
        pay={
            people["pay_architect"]: "architect",
            people["pay_stakeholder"]: "stakeholder",
            people["pay_auditor"]: "auditor",
            # Watches PAY's trigger while in the team (a watcher must read the trigger:
            # triggers.services), then leaves it, below: a watcher who no longer reads.
            people["org_stakeholder"]: "stakeholder",
        },
        idn={people["idn_architect"]: "architect"},
    )
    org_log = adr.log_create(actor=staff, key="ORG", name="Organisation")
    logs = {
        "PAY": adr.log_create(
            actor=staff, key="PAY", name=f"{SECRET} payments", team=pay, private=True
        ),
        "IDN": adr.log_create(actor=staff, key="IDN", name="Identity", team=idn),
    }
    signers = {"PAY": people["pay_stakeholder"], "IDN": people["idn_architect"]}
    writers = {"PAY": people["pay_architect"], "IDN": people["org_architect"]}
    with (
        Receiver() as receiver,
        override_settings(
            LEDGER_CHANNEL_ALLOWED_HOSTS=["127.0.0.1"], LEDGER_CHANNEL_PRIVATE_HOSTS=["127.0.0.1"]
        ),
    ):
        objects = {
            key: _objects(
                key=key,
                log=logs[key],
                people=people,
                writer=writers[key],
                signer=signers[key],
                receiver_url=receiver.url("/hook"),
            )
            for key in KEYS
        }
    membership_remove(actor=staff, team=pay, user=people["org_stakeholder"])
    # An open decision relates to a private one: the link shows to PAY's readers only.
    adr.relation_add(
        actor=staff, source=objects["IDN"].decision, target=objects["PAY"].other, kind="relates_to"
    )
    # Every rating is reviewed monthly: the acceptances signed 40 days ago are due.
    policy_save(actor=staff, rows=[BandRow("Any", 1, 25, ["Risk owner"], 12, 30)])
    objects["ORG"] = _decision_parts(key="ORG", log=org_log, writer=people["org_architect"])
    world = World(people=people, objects=objects, org_log=org_log)
    world.staff_token, _raw = api_token_create(user=staff, name="staff's")
    for key in KEYS:
        world.emails[key] = Notification.objects.filter(user=signers[key]).order_by("pk").first()
        assert world.emails[key] is not None, key
    for persona, user in people.items():
        _feed, raw = calendar_feed_regenerate(user=user)
        world.feeds[persona] = raw
    return world
