"""Comments on decisions and acceptances: Markdown, replies, @mentions notified once,
an edit window with history, hiding by staff (never deleting)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from adr.services import decision_create
from comments import selectors, services
from comments.models import Comment
from config.concurrency import ConflictError
from config.notifications.models import Notification
from risks.services import acceptance_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(log, architect):
    return decision_create(actor=architect, log=log, title="Keep tokens in cookies")


@pytest.fixture
def acceptance(architect, stakeholder, stakeholder2):
    return acceptance_create(
        actor=architect,
        title="Readable tokens",
        risk_statement="XSS reads tokens.",
        owner=stakeholder,
        expires_on=timezone.localdate() + timedelta(days=60),
        signatories=[{"user": stakeholder2, "meaning": "security lead"}],
    )


def mentions_of(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, event="comment.mentioned"))


def test_a_comment_is_sanitised_markdown_and_shows_in_the_thread(decision, architect):
    comment = services.comment_post(
        actor=architect, document=decision, body="**Why** not <script>alert(1)</script>?"
    )
    assert "<strong>Why</strong>" in comment.body_html
    assert "<script" not in comment.body_html
    assert [c.pk for c in selectors.thread(document=decision)] == [comment.pk]


def test_a_mention_notifies_once_and_an_edit_notifies_only_new_people(
    decision, architect, stakeholder, auditor
):
    comment = services.comment_post(
        actor=architect, document=decision, body="@sam what do you think? @sam?"
    )
    assert len(mentions_of(stakeholder)) == 1
    note = mentions_of(stakeholder)[0]
    assert "mentioned you" in note.subject and note.subject_id == comment.pk
    comment = services.comment_edit(
        actor=architect,
        comment=comment,
        body="@sam and @audrey, what do you think?",
        expected_version=comment.version,
    )
    assert len(mentions_of(stakeholder)) == 1
    assert len(mentions_of(auditor)) == 1
    assert not mentions_of(architect)


def test_nobody_is_notified_of_mentioning_themselves(decision, architect):
    services.comment_post(actor=architect, document=decision, body="note to self @alice")
    assert not mentions_of(architect)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("@nobody look", "@nobody is not a known user."),
        ("@gone look", "@gone is no longer active."),
        ("@olga look", "@olga cannot read this decision, so cannot be mentioned."),
    ],
)
def test_a_mention_of_someone_who_cannot_be_told_is_refused(
    decision, architect, outsider, django_user_model, body, message
):
    django_user_model.objects.create_user(username="gone", is_active=False)
    with pytest.raises(ValidationError) as caught:
        services.comment_post(actor=architect, document=decision, body=body)
    assert caught.value.message_dict["body"] == [message]
    assert not Comment.objects.exists()
    assert not Notification.objects.exists()


def test_an_email_address_and_code_are_not_mentions(decision, architect):
    comment = services.comment_post(
        actor=architect, document=decision, body="mail ops@example.test or run `@nobody`"
    )
    assert not comment.mentions.exists()


def test_a_signatory_without_a_role_may_comment_on_what_they_sign(
    acceptance, stakeholder2, outsider
):
    stakeholder2.groups.clear()
    stakeholder2._ledger_roles = None
    services.comment_post(actor=stakeholder2, document=acceptance, body="Question on scope")
    with pytest.raises(PermissionDenied):
        services.comment_post(actor=outsider, document=acceptance, body="hello")


def test_replies_form_one_level(decision, architect, stakeholder):
    root = services.comment_post(actor=architect, document=decision, body="root")
    reply = services.comment_post(actor=stakeholder, document=decision, body="r1", parent=root)
    deeper = services.comment_post(actor=architect, document=decision, body="r2", parent=reply)
    assert deeper.parent_id == root.pk
    [only] = selectors.thread(document=decision)
    assert [r.body for r in only.replies.all()] == ["r1", "r2"]


def test_a_reply_must_stay_on_its_document(decision, acceptance, architect):
    root = services.comment_post(actor=architect, document=decision, body="root")
    with pytest.raises(ValidationError):
        services.comment_post(actor=architect, document=acceptance, body="x", parent=root)


def test_only_the_author_edits_and_only_within_the_window(decision, architect, staff):
    comment = services.comment_post(actor=architect, document=decision, body="first")
    with pytest.raises(PermissionDenied):
        services.comment_edit(actor=staff, comment=comment, body="x", expected_version=1)
    later = timezone.now() + timedelta(minutes=16)
    with time_machine.travel(later), pytest.raises(PermissionDenied):
        services.comment_edit(actor=architect, comment=comment, body="x", expected_version=1)
    edited = services.comment_edit(
        actor=architect, comment=comment, body="second", expected_version=1
    )
    assert edited.edited_at is not None and edited.version == 2
    assert [h.body for h in comment.history.order_by("history_id")] == ["first", "second"]


def test_an_edit_from_a_stale_version_is_a_conflict(decision, architect):
    comment = services.comment_post(actor=architect, document=decision, body="first")
    services.comment_edit(actor=architect, comment=comment, body="second", expected_version=1)
    with pytest.raises(ConflictError):
        services.comment_edit(actor=architect, comment=comment, body="third", expected_version=1)


def test_staff_hide_with_a_reason_and_the_history_keeps_the_text(decision, architect, staff, login):
    comment = services.comment_post(actor=architect, document=decision, body="rude words")
    with pytest.raises(PermissionDenied):
        services.comment_hide(actor=architect, comment=comment, reason="x")
    with pytest.raises(ValidationError):
        services.comment_hide(actor=staff, comment=comment, reason=" ")
    services.comment_hide(actor=staff, comment=comment, reason="off topic")
    page = login(architect).get(f"/comments/decision/{decision.pk}/").content.decode()
    assert "off topic" in page and "rude words" not in page
    assert comment.history.filter(body="rude words").exists()
    with pytest.raises(PermissionDenied):
        services.comment_edit(actor=architect, comment=comment, body="x", expected_version=2)


def test_comments_are_never_deleted_by_a_cascade(decision, architect):
    services.comment_post(actor=architect, document=decision, body="keep me")
    with pytest.raises(ProtectedError):
        decision.delete()


def test_the_admin_cannot_delete_or_change_a_comment(decision, architect, staff, rf):
    from django.contrib import admin

    comment = services.comment_post(actor=architect, document=decision, body="x")
    model_admin = admin.site._registry[Comment]
    request = rf.get("/")
    request.user = staff
    assert not model_admin.has_delete_permission(request, comment)
    assert not model_admin.has_change_permission(request, comment)


def test_posting_through_htmx_answers_with_the_thread(decision, architect, login):
    client = login(architect)
    url = f"/comments/decision/{decision.pk}/"
    answer = client.post(url, {"body": "via htmx"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert 'id="comments-thread"' in answer.content.decode()
    assert "via htmx" in answer.content.decode()
    bad = client.post(url, {"body": "@nobody"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "@nobody is not a known user." in bad.content.decode()
    plain = client.post(url, {"body": "no script"})
    assert plain.status_code == 302 and plain["Location"].startswith(decision.get_absolute_url())


def test_an_outsider_gets_403(decision, outsider, login):
    assert login(outsider).get(f"/comments/decision/{decision.pk}/").status_code == 403
    posted = login(outsider).post(f"/comments/decision/{decision.pk}/", {"body": "x"})
    assert posted.status_code == 403


def test_the_thread_costs_the_same_queries_whatever_its_size(
    decision, architect, stakeholder, login, django_assert_max_num_queries
):
    client = login(architect)
    url = f"/comments/decision/{decision.pk}/"
    root = services.comment_post(actor=architect, document=decision, body="one")
    services.comment_post(actor=stakeholder, document=decision, body="reply", parent=root)
    with django_assert_max_num_queries(30) as small:
        client.get(url, HTTP_HX_REQUEST="true")
    for i in range(10):
        parent = services.comment_post(actor=architect, document=decision, body=f"c{i}")
        services.comment_post(actor=stakeholder, document=decision, body="r", parent=parent)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        client.get(url, HTTP_HX_REQUEST="true")
    assert "c9" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
