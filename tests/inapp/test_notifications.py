"""In-app notifications: every email a person gets is listed for them, unread until
opened or marked read; the navigation shows the unread count."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.inapp.models import NotificationRead
from config.notifications.models import Notification
from config.notifications.services import notification_enqueue

pytestmark = pytest.mark.django_db


def _user(name):
    return get_user_model().objects.get(username=name)


def _unread_badge(html: str) -> int:
    found = re.search(r'id="nav-unread-count"[^>]*>(\d+)<', html)
    return int(found.group(1)) if found else 0


@pytest.fixture
def demo():
    call_command("seed_demo")


def test_every_email_to_a_person_is_in_their_list_unread_and_the_nav_counts_it(client, demo):
    eric = _user("eric")
    mine = Notification.objects.filter(user=eric)
    assert mine.filter(event="signature.requested").exists()
    client.force_login(eric)
    html = client.get("/notifications/").content.decode()
    for n in mine:
        assert f'href="/notifications/{n.pk}/"' in html
    assert html.count("<mark>unread</mark>") == mine.count()
    assert _unread_badge(html) == mine.count()
    # Nobody else's notifications.
    others = Notification.objects.exclude(user=eric)
    assert others.exists()
    for n in others:
        assert f'href="/notifications/{n.pk}/"' not in html


def test_opening_a_notification_marks_it_read_and_links_to_what_it_is_about(client, demo):
    eric = _user("eric")
    request = Notification.objects.get(user=eric, event="signature.requested")
    client.force_login(eric)
    before = _unread_badge(client.get("/decisions/").content.decode())
    page = client.get(f"/notifications/{request.pk}/").content.decode()
    assert request.subject in page
    assert re.search(r'href="/risks/\d+/" id="notification-about"', page)
    assert NotificationRead.objects.filter(notification=request, user=eric).exists()
    after = _unread_badge(client.get("/decisions/").content.decode())
    assert after == before - 1
    client.get(f"/notifications/{request.pk}/")  # opening again changes nothing
    assert NotificationRead.objects.filter(notification=request).count() == 1


def test_someone_elses_notification_is_a_404(client, demo):
    sam_email = Notification.objects.filter(user=_user("sam")).first()
    client.force_login(_user("eric"))
    assert client.get(f"/notifications/{sam_email.pk}/").status_code == 404
    assert not NotificationRead.objects.exists()


def test_mark_all_read_reads_everything_in_a_fixed_number_of_queries(client, demo):
    from config.inapp.services import notifications_mark_all_read

    sam = _user("sam")
    for i in range(20):
        notification_enqueue(
            recipient=sam.email,
            event="test.message",
            dedupe_key=f"test:{i}",
            template="test-message",
            context={},
            user=sam,
        )
    unread = Notification.objects.filter(user=sam).count()
    assert unread > 20
    with CaptureQueriesContext(connection) as ctx:
        assert notifications_mark_all_read(user=sam) == unread
    assert len(ctx.captured_queries) <= 6
    assert notifications_mark_all_read(user=sam) == 0
    client.force_login(sam)
    html = client.get("/notifications/").content.decode()
    assert "<mark>unread</mark>" not in html and _unread_badge(html) == 0
    # Through the page, too (for a fresh notification).
    notification_enqueue(
        recipient=sam.email,
        event="test.message",
        dedupe_key="test:late",
        template="test-message",
        context={},
        user=sam,
    )
    response = client.post("/notifications/read-all/")
    assert response.status_code == 302
    assert "1 notification marked read." in client.get("/notifications/").content.decode()


def test_the_list_queries_do_not_grow_with_the_notifications(client, demo):
    sam = _user("sam")
    client.force_login(sam)
    client.get("/notifications/")
    with CaptureQueriesContext(connection) as few:
        client.get("/notifications/")
    for i in range(30):
        notification_enqueue(
            recipient=sam.email,
            event="test.message",
            dedupe_key=f"more:{i}",
            template="test-message",
            context={},
            user=sam,
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/notifications/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_empty_list_says_what_would_appear(client, demo, django_user_model):
    from tests.conftest import make_user

    # Every demo persona has mail by now (audrey is asked for a review): a new auditor.
    client.force_login(make_user(django_user_model, "quinn", "auditor"))
    html = client.get("/notifications/").content.decode()
    assert "Emails about signatures, fired triggers and acceptances you are part of" in html
