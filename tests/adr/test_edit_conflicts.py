"""The edit pages refuse a save based on an old version: the conflict page (409) shows
what changed since, field by field, and keeps what the person typed."""

from __future__ import annotations

import pytest

from adr import services
from adr.models import Decision
from tests.adr.conftest import build_decision, form_values
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


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
