"""Who may see and do what, page by page, for each persona."""

import pytest

from adr.models import Decision
from adr.services import decision_create, decision_flag_review

pytestmark = pytest.mark.django_db

READ_PAGES = [
    "/decisions/",
    "/decisions/?q=token&status=proposed&tag=security&log=AUTH",
    "/decisions/logs/",
    "/decisions/logs/AUTH/",
    "/decisions/AUTH-0001/",
    "/decisions/AUTH-0001/history/",
]
WRITE_PAGES = [
    "/decisions/new/",
    "/decisions/AUTH-0001/edit/",
    "/decisions/logs/new/",
    "/decisions/logs/AUTH/edit/",
]
WRITE_POSTS = [
    ("/decisions/AUTH-0001/status/", {"status": "accepted"}),
    ("/decisions/AUTH-0001/reviewed/", {}),
    ("/decisions/AUTH-0001/edit/", {"title": "hijacked"}),
    ("/decisions/new/", {"title": "hijacked"}),
    ("/decisions/logs/new/", {"key": "EVIL", "name": "Evil"}),
    ("/decisions/preview/", {"context": "**x**"}),
]


@pytest.fixture
def decision(architect, log):
    d = decision_create(actor=architect, log=log, title="Protect tokens")
    decision_flag_review(decision=d, reason="a trigger fired")
    return d


@pytest.mark.parametrize("url", READ_PAGES + WRITE_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, decision, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", READ_PAGES + WRITE_PAGES)
def test_an_outsider_without_a_role_gets_403_on_every_ledger_page(outsider, decision, login, url):
    response = login(outsider).get(url)
    assert response.status_code == 403
    assert "no role" in response.content.decode() or "architect" in response.content.decode()


@pytest.mark.parametrize("persona", ["stakeholder", "auditor", "architect"])
@pytest.mark.parametrize("url", READ_PAGES)
def test_every_role_reads_every_page(request, decision, login, persona, url):
    response = login(request.getfixturevalue(persona)).get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["stakeholder", "auditor"])
@pytest.mark.parametrize("url", WRITE_PAGES)
def test_readers_get_a_clear_403_on_write_pages(request, decision, login, persona, url):
    response = login(request.getfixturevalue(persona)).get(url)
    assert response.status_code == 403
    assert "This needs the role: architect." in response.content.decode()


@pytest.mark.parametrize("persona", ["stakeholder", "auditor", "outsider"])
@pytest.mark.parametrize("url, data", WRITE_POSTS)
def test_non_architects_cannot_write_by_posting(request, decision, login, persona, url, data):
    response = login(request.getfixturevalue(persona)).post(url, data)
    assert response.status_code == 403
    decision.refresh_from_db()
    assert (decision.title, decision.status, decision.needs_review) == (
        "Protect tokens",
        "proposed",
        True,
    )
    assert not Decision.objects.filter(title="hijacked").exists()


@pytest.mark.parametrize("url", WRITE_PAGES)
def test_architects_open_every_write_page(architect, decision, login, url):
    assert login(architect).get(url).status_code == 200


@pytest.mark.parametrize("persona", ["stakeholder", "auditor"])
def test_readers_do_not_see_write_buttons(request, decision, login, persona):
    client = login(request.getfixturevalue(persona))
    detail = client.get("/decisions/AUTH-0001/").content.decode()
    for marker in ("/edit/", "Change status", "Mark reviewed"):
        assert marker not in detail
    assert "Needs review" in detail
    assert "New decision" not in client.get("/decisions/").content.decode()
    assert "New log" not in client.get("/decisions/logs/").content.decode()


def test_architects_see_write_buttons(architect, decision, login):
    client = login(architect)
    detail = client.get("/decisions/AUTH-0001/").content.decode()
    for marker in ("/decisions/AUTH-0001/edit/", "Change status", "Mark reviewed"):
        assert marker in detail
    assert "New decision" in client.get("/decisions/").content.decode()


def test_an_architect_marks_a_flagged_decision_reviewed(architect, decision, login):
    response = login(architect).post("/decisions/AUTH-0001/reviewed/", {"reason": "still holds"})
    assert response.status_code == 302
    decision.refresh_from_db()
    assert not decision.needs_review
    assert decision.history.first().history_change_reason == "still holds"


def test_an_architect_creates_and_renames_a_log(architect, login):
    client = login(architect)
    response = client.post("/decisions/logs/new/", {"key": "pay", "name": "Payments"})
    assert response.status_code == 302 and response["Location"] == "/decisions/logs/PAY/"
    response = client.post("/decisions/logs/PAY/edit/", {"key": "XXX", "name": "Payments v2"})
    assert response.status_code == 302
    from adr.models import DecisionLog

    log = DecisionLog.objects.get()
    assert (log.key, log.name) == ("PAY", "Payments v2")


def test_a_bad_log_key_is_refused_inline(architect, login):
    response = login(architect).post("/decisions/logs/new/", {"key": "1-bad", "name": "X"})
    assert response.status_code == 200
    assert "capital letters" in response.content.decode()


def test_unknown_decisions_and_logs_are_404(architect, log, login):
    client = login(architect)
    assert client.get("/decisions/AUTH-0099/").status_code == 404
    assert client.get("/decisions/NOPE-0001/history/").status_code == 404
    assert client.get("/decisions/logs/NOPE/").status_code == 404
