"""The edit pages refuse a save based on an old version: the conflict page (409) shows
what changed since, field by field, and keeps what the person typed."""

from __future__ import annotations

import pytest

from adr import services
from adr.models import Decision
from tests.adr.conftest import build_decision, form_values
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def conflict_notice(page: str) -> str:
    start = page.index('id="conflict"')
    return page[start : page.index("</article>", start)]


@pytest.fixture
def bob(django_user_model):
    return make_user(django_user_model, "bob", "architect", display_name="Bob Builder")


def test_the_conflict_page_shows_what_changed_and_keeps_what_was_typed(
    architect, bob, log, login, read_form
):
    d = build_decision(architect, log, title="Protect tokens", context="Pentest finding.")
    client = login(architect)
    url = "/decisions/AUTH-0001/edit/"
    form = read_form(client, url)
    loaded_version = int(form["version"])
    # Bob saves first: a new title and a changed option.
    services.decision_update(actor=bob, decision=d, title="Protect auth tokens", reason="clearer")
    option = d.options.get(position=0)
    services.option_save(actor=bob, decision=d, option=option, verdict="Too costly")

    form["context"] = "My typed context."
    form["options-1-title"] = "My renamed option"
    response = client.post(url, form)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: someone else changed this" in page
    # What changed since, readable and attributed.
    notice = page[
        page.index('id="conflict"') : page.index("</article>", page.index('id="conflict"'))
    ]
    assert "Bob Builder" in notice
    assert "Protect tokens" in notice and "Protect auth tokens" in notice
    assert "Option “Option 0”" in notice and "Too costly" in notice
    # What the person typed is still in the form.
    assert "My typed context." in page
    assert 'value="My renamed option"' in page
    # Nothing of theirs was saved; Bob's edit stands.
    d = Decision.objects.get(pk=d.pk)
    assert (d.title, d.context) == ("Protect auth tokens", "Pentest finding.")
    assert not d.options.filter(title="My renamed option").exists()
    assert d.version > loaded_version

    # A field they had left alone shows Bob's value, so saving again does not undo it.
    again = form_values(page)
    assert again["title"] == "Protect auth tokens"
    assert "now show the newer value: <strong>Title</strong>" in page
    # Having read the changes, saving the page again applies their input on top.
    assert again["version"] == str(d.version)
    assert client.post(url, again).status_code == 302
    d = Decision.objects.get(pk=d.pk)
    assert (d.title, d.context) == ("Protect auth tokens", "My typed context.")
    assert d.options.filter(title="My renamed option").exists()


def test_a_stale_save_of_a_log_shows_the_conflict_and_keeps_the_typed_name(
    architect, bob, log, login, read_form
):
    client = login(architect)
    form = read_form(client, "/decisions/logs/AUTH/edit/")
    services.log_update(actor=bob, log=log, name="Identity", description="Owned by IAM.")
    response = client.post("/decisions/logs/AUTH/edit/", {**form, "name": "My name"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: someone else changed this" in page
    assert "Identity" in page and "Owned by IAM." in page
    # Both changed the name: theirs is kept (the notice shows Bob's); the description
    # they had not touched shows Bob's.
    again = form_values(page)
    assert (again["name"], again["description"]) == ("My name", "Owned by IAM.")
    log.refresh_from_db()
    assert log.name == "Identity"


def test_an_unchanged_save_after_a_review_flag_is_not_a_conflict(architect, log, login, read_form):
    d = build_decision(architect, log)
    client = login(architect)
    form = read_form(client, "/decisions/AUTH-0001/edit/")
    services.decision_flag_review(decision=d, reason="A trigger fired.")
    response = client.post("/decisions/AUTH-0001/edit/", {**form, "title": "Retitled"})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.title == "Retitled" and d.needs_review


def test_a_status_change_from_a_stale_detail_page_is_refused_with_the_reason(
    architect, bob, log, login
):
    d = services.decision_create(actor=architect, log=log, title="Protect tokens")
    client = login(architect)
    page = client.get("/decisions/AUTH-0001/").content.decode()
    assert f'name="version" value="{d.version}"' in page
    services.decision_update(actor=bob, decision=d, context="Bob's context.")
    response = client.post(
        "/decisions/AUTH-0001/status/", {"status": "accepted", "version": str(d.version - 1)}
    )
    assert response.status_code == 400
    assert "changed by someone else since you loaded it" in response.content.decode()
    d.refresh_from_db()
    assert d.status == "proposed"


def test_editing_a_part_bumps_the_version_without_an_empty_history_entry(architect, log):
    from adr import selectors

    d = build_decision(architect, log, options=1, criteria=0)
    before = Decision.objects.get(pk=d.pk).version
    option = d.options.get()
    services.option_save(actor=architect, decision=d, option=option, verdict="Chosen later")
    assert Decision.objects.get(pk=d.pk).version == before + 1
    entries = selectors.decision_history(user=architect, decision=d)
    assert [e.object_label for e in entries if e.kind == "changed"] == ["Option “Option 0”"]


def test_a_change_of_tags_alone_is_shown_on_the_conflict_page(
    architect, bob, log, login, read_form
):
    d = services.decision_create(actor=architect, log=log, title="Protect tokens")
    client = login(architect)
    form = read_form(client, "/decisions/AUTH-0001/edit/")
    services.decision_update(actor=bob, decision=d, tags=["security"])
    response = client.post("/decisions/AUTH-0001/edit/", {**form, "context": "Mine."})
    assert response.status_code == 409
    page = response.content.decode()
    notice = conflict_notice(page)
    assert "Tags" in notice and "security" in notice and "Bob Builder" in notice
