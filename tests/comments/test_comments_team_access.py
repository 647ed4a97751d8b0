"""Comments follow their document (comments.access): a decision's comments are read and
written by whoever reads its log; an acceptance's by whoever reads it (risks.access) and
the people named to sign it. A mention of someone who cannot read the document is
refused by name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from adr import services as adr
from comments import services
from comments.models import Comment
from config.notifications.models import Notification
from risks.services import acceptance_create
from tests.conftest import make_user
from tests.support.teams import payments_and_identity

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement routing"
# Who reads (and so comments on) the private log's decision and its acceptance.
DECISION_READERS = {"staff", "pay_architect", "pay_member"}
ACCEPTANCE_READERS = DECISION_READERS | {"signer"}
PERSONAS = ("staff", "org_architect", "pay_architect", "pay_member", "signer", "stakeholder")


@pytest.fixture
def world(django_user_model, staff):
    people = {
        "staff": staff,
        "org_architect": make_user(django_user_model, "orla", "architect"),
        "pay_architect": make_user(django_user_model, "pat", None),
        "pay_member": make_user(django_user_model, "paula", None),
        "signer": make_user(django_user_model, "sofia", "stakeholder"),
        "stakeholder": make_user(django_user_model, "sam", "stakeholder"),
    }
    pay, _ = payments_and_identity(
        staff=staff,
        pay={people["pay_architect"]: "architect", people["pay_member"]: "stakeholder"},
        idn={},
    )
    log = adr.log_create(actor=staff, key="PAY", name="Payments", team=pay, private=True)
    decision = adr.decision_create(actor=staff, log=log, title=SECRET)
    acceptance = acceptance_create(
        actor=people["pay_architect"],
        title=f"{SECRET} stays",
        risk_statement="Kept live on purpose.",
        owner=people["pay_member"],
        decisions=[decision],
        expires_on=timezone.localdate() + timedelta(days=60),
        signatories=[{"user": people["signer"], "meaning": "security lead"}],
    )
    return people, decision, acceptance


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_commenting_follows_the_documents_readers(world, persona):
    people, decision, acceptance = world
    user = _fresh(people[persona])
    for document, readers in ((decision, DECISION_READERS), (acceptance, ACCEPTANCE_READERS)):
        if persona in readers:
            services.comment_post(actor=user, document=document, body="Noted.")
        else:
            with pytest.raises(PermissionDenied):
                services.comment_post(actor=user, document=document, body="Refused.")
    assert not Comment.objects.filter(body="Refused.").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_thread_pages_answer_only_the_documents_readers(world, login, persona):
    people, decision, acceptance = world
    services.comment_post(actor=people["pay_member"], document=decision, body=f"{SECRET}?")
    client = login(people[persona])
    for url, readers in (
        (f"/comments/decision/{decision.pk}/", DECISION_READERS),
        (f"/comments/acceptance/{acceptance.pk}/", ACCEPTANCE_READERS),
    ):
        page = client.get(url)
        assert page.status_code == (200 if persona in readers else 404), url
        posted = client.post(url, {"body": "From the page."})
        assert posted.status_code == (302 if persona in readers else 404), url
    expected = (persona in DECISION_READERS) + (persona in ACCEPTANCE_READERS)
    assert Comment.objects.filter(body="From the page.").count() == expected


def test_a_mention_of_someone_who_cannot_read_the_document_is_refused_by_name(world):
    people, decision, acceptance = world
    pat = _fresh(people["pay_architect"])
    with pytest.raises(ValidationError) as refused:
        services.comment_post(actor=pat, document=decision, body="@orla @paula @sofia look")
    assert refused.value.message_dict["body"] == [
        "@orla cannot read this decision, so cannot be mentioned.",
        "@sofia cannot read this decision, so cannot be mentioned.",
    ]
    with pytest.raises(ValidationError) as refused:
        services.comment_post(actor=pat, document=acceptance, body="@sam @sofia look")
    assert refused.value.message_dict["body"] == [
        "@sam cannot read this acceptance, so cannot be mentioned."
    ]
    assert not Comment.objects.exists()
    assert not Notification.objects.filter(event="comment.mentioned").exists()
    # The readers are mentioned and told, once.
    services.comment_post(actor=pat, document=acceptance, body="@paula @sofia look")
    told = Notification.objects.filter(event="comment.mentioned")
    assert {n.user_id for n in told} == {people["pay_member"].pk, people["signer"].pk}


def test_only_staff_hide_even_the_teams_architect_does_not(world):
    people, decision, _ = world
    comment = services.comment_post(actor=people["pay_member"], document=decision, body="Hm.")
    with pytest.raises(PermissionDenied):
        services.comment_hide(actor=_fresh(people["pay_architect"]), comment=comment, reason="x")
    services.comment_hide(actor=people["staff"], comment=comment, reason="Off topic.")
