"""The History tab: who changed what and when, field by field; text diffs for Markdown."""

import pytest

from adr.services import decision_update, option_save
from tests.conftest import make_user

from .conftest import build_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(django_user_model):
    return make_user(django_user_model, "bob", "architect", display_name="Bob Builder")


def test_editing_a_field_shows_old_and_new_values_with_the_author(architect, log, login, read_form):
    build_decision(architect, log, title="Protect tokens")
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    data.update({"title": "Protect tokens from XSS", "reason": "sharper title"})
    assert client.post("/decisions/AUTH-0001/edit/", data).status_code == 302
    page = client.get("/decisions/AUTH-0001/history/").content.decode()
    assert "<del>Protect tokens</del>" in page
    assert "<ins>Protect tokens from XSS</ins>" in page
    assert "sharper title" in page
    assert "Alice Architect" in page


def test_a_markdown_field_gets_a_line_diff(architect, log, login):
    d = build_decision(architect, log)
    decision_update(actor=architect, decision=d, context="line one\nline two")
    decision_update(actor=architect, decision=d, context="line one\nline 2 <b>bold</b>")
    page = login(architect).get("/decisions/AUTH-0001/history/").content.decode()
    assert '<del class="diff-del">- line two</del>' in page
    assert '<ins class="diff-add">+ line 2 &lt;b&gt;bold&lt;/b&gt;</ins>' in page
    assert '<span class="diff-same">  line one</span>' in page


def test_changes_to_options_and_cells_appear_in_the_history(architect, log, login):
    d = build_decision(architect, log)
    option = d.options.get(position=0)
    option_save(actor=architect, decision=d, option=option, verdict="Too costly")
    page = login(architect).get("/decisions/AUTH-0001/history/").content.decode()
    assert "Option “Option 0”" in page and "Too costly" in page
    assert "Matrix cell" in page and "Score: 3" in page


def test_tag_changes_show_tag_names(architect, log, login, read_form):
    build_decision(architect, log, tags=["security"])
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    data["tags"] = "security, frontend"
    data["title"] = "Retitled"  # a tag-only change is m2m-only; pair it with a field edit
    assert client.post("/decisions/AUTH-0001/edit/", data).status_code == 302
    page = client.get("/decisions/AUTH-0001/history/").content.decode()
    assert "frontend, security" in page


@pytest.mark.parametrize("persona", ["stakeholder", "auditor"])
def test_readers_see_the_history_but_no_way_to_change_it(request, architect, log, login, persona):
    build_decision(architect, log)
    page = login(request.getfixturevalue(persona)).get("/decisions/AUTH-0001/history/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "read-only" in body and '<form method="post"' not in body.split("<main")[1]


def test_history_shows_names_not_codes(architect, log, login):
    from adr.services import decision_change_status, relation_add, sensitivity_note_save

    d = build_decision(architect, log, options=2, criteria=1)
    other = build_decision(architect, log, title="Other", options=0, criteria=0)
    decision_change_status(actor=architect, decision=d, status="accepted")
    relation_add(actor=architect, source=d, target=other, kind="relates_to")
    note = sensitivity_note_save(actor=architect, decision=d, condition="If cheap")
    sensitivity_note_save(
        actor=architect, decision=d, note=note, favours=d.options.get(title="Option 1")
    )
    page = login(architect).get("/decisions/AUTH-0001/history/").content.decode()
    assert "<del>Proposed</del>" in page and "<ins>Accepted</ins>" in page
    assert "Relation: relates to AUTH-0002" in page
    assert "Matrix cell “Criterion 0” × “Option 1”" in page
    assert "<ins>Option 1</ins>" in page  # the favoured option, by title


def test_a_long_history_is_paged_by_saves(architect, bob, log, login):
    d = build_decision(architect, log, options=11, criteria=10)  # 1 + 11 + 10 + 110 rows
    # Alternate authors, so that each save is its own change set however fast they come.
    for i in range(50):
        decision_update(actor=(bob, architect)[i % 2], decision=d, title=f"Title {i}")
    client = login(architect)
    first = client.get("/decisions/AUTH-0001/history/").content.decode()
    assert first.count('class="change-set') == 50
    second = client.get("/decisions/AUTH-0001/history/?page=2").content.decode()
    assert second.count('class="change-set') == 1
    assert second.count('class="history-entry') == 132  # the creation, one entry
    assert "Decision</strong> created" in second  # oldest last
