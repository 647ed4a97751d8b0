"""History as change sets (one entry per save) and the compare page of a decision."""

import pytest

from adr import services
from adr.models import Decision
from config.changesets import group_change_sets, readable
from tests.conftest import make_user

from .conftest import build_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(django_user_model):
    return make_user(django_user_model, "bob", "architect", display_name="Bob Builder")


def test_one_save_of_the_edit_page_is_one_entry(architect, bob, log, login, read_form):
    build_decision(architect, log, options=2, criteria=2)
    client = login(bob)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    data["title"] = "Protect tokens from XSS"
    data["reason"] = "one save, many parts"
    # Change an option's title and a matrix cell's text in the same submit.
    option_title = next(k for k, v in data.items() if v == "Option 1")
    data[option_title] = "Option One"
    cell_text = next(k for k, v in data.items() if v == "c1o1")
    data[cell_text] = "c1o1, revised"
    assert client.post("/decisions/AUTH-0001/edit/", data).status_code == 302

    page = client.get("/decisions/AUTH-0001/history/")
    sets = list(page.context["change_sets"])
    assert len(sets) == 2  # the creation, then this save
    newest = sets[0]
    labels = sorted(e.object_label for e in newest.entries)
    assert labels == ["Decision", "Matrix cell “Criterion 1” × “Option One”", "Option “Option One”"]
    assert newest.who == bob and "one save, many parts" in newest.reason
    body = page.content.decode()
    assert body.count('class="change-set') == 2
    # No version-only entry for the decision: its own entry names the title change.
    decision_entry = next(e for e in newest.entries if e.object_label == "Decision")
    assert [c.field for c in decision_entry.changes] == ["title"]


def test_saves_by_different_people_or_apart_in_time_are_separate_entries(architect, bob, log):
    from datetime import timedelta

    from config.history import HistoryEntry

    d = build_decision(architect, log, options=1, criteria=1)
    services.decision_update(actor=bob, decision=d, title="By Bob")
    entries = services_history(architect, d)
    assert [len(s.entries) for s in group_change_sets(entries)] == [1, 4]
    # The same person twice, two seconds apart: two saves.
    first, second = entries[-1], entries[0]
    late = HistoryEntry(
        record=second.record,
        when=first.when + timedelta(seconds=2),
        who=first.who,
        kind="changed",
        reason="later",
        changes=[],
        object_label="Decision",
    )
    late.record.history_user_id = first.record.history_user_id
    assert len(group_change_sets([first, late])) == 2


def services_history(user, d):
    from adr import selectors

    return selectors.decision_history(user=user, decision=d)


def test_values_read_as_people_read_them():
    from datetime import date

    assert readable(True) == "yes" and readable(False) == "no"
    assert readable(date(2026, 3, 4)) == "2026-03-04"
    assert readable(None) == "—" and readable("") == "(empty)"
    assert readable(["a", "b"]) == "a, b"


def test_two_versions_compare_side_by_side(architect, bob, log, login):
    d = build_decision(architect, log, options=2, criteria=1, tags=["security"])
    services.decision_update(actor=bob, decision=d, context="line one\nline two")
    d = Decision.objects.get(pk=d.pk)
    services.decision_update(
        actor=architect,
        decision=d,
        context="line one\nline 2",
        title="Retitled",
        tags=["security", "frontend"],
    )
    services.decision_change_status(actor=bob, decision=d, status="accepted")
    option = d.options.get(title="Option 1")
    services.option_save(actor=architect, decision=d, option=option, title="Option Uno")

    versions = list(Decision.history.filter(id=d.pk).order_by("history_date", "history_id"))
    created = versions[0]
    newest = versions[-1]
    client = login(architect)
    response = client.get(
        f"/decisions/AUTH-0001/compare/?a={created.history_id}&b={newest.history_id}"
    )
    assert response.status_code == 200
    changes = {c.label: c for c in response.context["cmp"].changes}
    assert changes["Title"].old == "Protect tokens" and changes["Title"].new == "Retitled"
    assert changes["Status"].old == "Proposed" and changes["Status"].new == "Accepted"
    assert changes["Tags"].new == "frontend, security"
    assert "Option Uno" in changes["Options"].new and "Option Uno" not in changes["Options"].old
    body = response.content.decode()
    assert '<ins class="diff-add">+ line 2</ins>' in body
    assert "Matrix" in changes, list(changes)
    assert "Confirmation" not in changes and "Deciders" not in changes  # unchanged: not listed
    # The history page offers every version to pick from.
    history = client.get("/decisions/AUTH-0001/history/").content.decode()
    assert (
        f'value="{created.history_id}"' in history
        and 'action="/decisions/AUTH-0001/compare/"' in history
    )
    # The same version twice: nothing differs.
    same = client.get(f"/decisions/AUTH-0001/compare/?a={newest.history_id}&b={newest.history_id}")
    assert same.context["cmp"].changes == []
    # A version of another decision, or nonsense, is not found.
    assert client.get("/decisions/AUTH-0001/compare/?a=x&b=1").status_code == 404
    assert client.get("/decisions/AUTH-0001/compare/?a=999999&b=1").status_code == 404


def test_the_compare_page_is_for_readers_only(architect, log, client, login, outsider, auditor):
    d = build_decision(architect, log, options=1, criteria=1)
    services.decision_update(actor=architect, decision=d, title="Again", reason="again")
    a, b = Decision.history.filter(id=d.pk).values_list("history_id", flat=True)[:2]
    url = f"/decisions/AUTH-0001/compare/?a={a}&b={b}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert login(outsider).get(url).status_code == 403
    assert login(auditor).get(url).status_code == 200
