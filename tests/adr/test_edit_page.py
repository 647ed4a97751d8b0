from datetime import date

import pytest

from adr.models import Decision, DecisionRelation, MatrixCell
from adr.services import decision_change_status, decision_create, relation_add

from .conftest import build_decision

pytestmark = pytest.mark.django_db


def test_an_architect_creates_a_decision_with_three_options_and_a_3x3_matrix(
    architect, log, login, read_form
):
    client = login(architect)
    data = read_form(client, "/decisions/new/?log=AUTH")
    data.update(
        {
            "title": "Keep tokens away from JavaScript",
            "context": "The pentest found **JS-readable** tokens.",
            "drivers": "No JS-readable tokens\nLittle frontend change",
            "tags": "security, Frontend",
        }
    )
    for i, title in enumerate(["BFF proxy", "Token broker", "Conscious deferral"]):
        data[f"options-{i}-title"] = title
        data[f"criteria-{i}-name"] = ["Frontend impact", "Cost", "Reversibility"][i]
    data["criteria-1-weight"] = "2"
    data["options-2-chosen"] = "on"
    for ci in range(3):
        for oi in range(3):
            data[f"cell-{ci}-{oi}-text"] = f"cell {ci}/{oi}"
            data[f"cell-{ci}-{oi}-score"] = str(ci + oi)
    response = client.post("/decisions/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/decisions/AUTH-0001/"
    d = Decision.objects.get(log=log, number=1)
    assert [o.title for o in d.options.order_by("position")] == [
        "BFF proxy",
        "Token broker",
        "Conscious deferral",
    ]
    assert d.options.get(chosen=True).title == "Conscious deferral"
    assert MatrixCell.objects.filter(criterion__decision=d).count() == 9
    assert sorted(t.name for t in d.tags.all()) == ["frontend", "security"]
    assert "<strong>JS-readable</strong>" in d.context_html
    page = client.get("/decisions/AUTH-0001/").content.decode()
    assert "score-4" in page and "Weighted total" in page
    assert "<li>No JS-readable tokens</li>" in page


def test_an_architect_edits_fields_options_and_cells_in_one_submit(
    architect, log, login, read_form
):
    d = build_decision(architect, log)
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    data["title"] = "Protect tokens better"
    data["options-0-title"] = "Option zero renamed"
    data["options-1-DELETE"] = "on"
    data["options-3-title"] = "A fourth option"
    data["criteria-3-name"] = "New criterion"
    data["cell-3-3-text"] = "new × new"
    data["cell-3-3-score"] = "5"
    data["cell-0-0-score"] = ""
    data["cell-0-0-text"] = ""
    data["reason"] = "after the review"
    response = client.post("/decisions/AUTH-0001/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    d.refresh_from_db()
    assert d.title == "Protect tokens better"
    assert [o.title for o in d.options.order_by("position")] == [
        "Option zero renamed",
        "Option 2",
        "A fourth option",
    ]
    cell = MatrixCell.objects.get(criterion__name="New criterion", option__title="A fourth option")
    assert (cell.text, cell.score) == ("new × new", 5)
    assert not MatrixCell.objects.filter(
        criterion__name="Criterion 0", option__title="Option zero renamed"
    ).exists()
    assert d.history.first().history_change_reason == "after the review"


def test_an_unchanged_submit_writes_no_history(architect, log, login, read_form):
    build_decision(architect, log)
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    before = sum(m.history.count() for m in (Decision, MatrixCell, DecisionRelation))
    assert client.post("/decisions/AUTH-0001/edit/", data).status_code == 302
    after = sum(m.history.count() for m in (Decision, MatrixCell, DecisionRelation))
    assert after == before


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "A decision needs a title."),
        ({"title": "x" * 5000}, "at most 300 characters"),
        ({"decided_on": "2024-13-45"}, "Enter a valid date."),
        ({"revisit_by": "next tuesday"}, "Enter a valid date."),
        ({"cell-0-0-score": "9"}, "The score must be from 0 to 5."),
        ({"cell-0-0-score": "-1"}, "The score must be from 0 to 5."),
        ({"cell-0-0-score": "abc"}, "whole number"),
        ({"cell-0-0-text": "y" * 600}, "At most 500 characters."),
        ({"options-0-chosen": "on", "options-1-chosen": "on"}, "Only one option can be"),
        ({"criteria-0-weight": "1000"}, "no more than 3 digits before"),
        ({"criteria-0-weight": "-2"}, "greater than or equal to 0"),
        ({"criteria-0-weight": "heavy"}, "Enter a number."),
        ({"cell-0-4-text": "orphan"}, "Option 5 has no title"),
        ({"relations-0-target": "NOPE-0009", "relations-0-kind": "amends"}, "no decision"),
        ({"relations-0-target": "garbage", "relations-0-kind": "amends"}, "AUTH-0003"),
        ({"relations-0-target": "AUTH-0001", "relations-0-kind": "amends"}, "itself"),
        ({"context": "z" * 60_000}, "at most 50000"),
        ({"options-TOTAL_FORMS": "5000"}, "Please submit at most"),
        ({"cell-1-1-text": "nul\x00byte"}, "Null characters are not allowed."),
        ({"options-0-title": "nul\x00byte"}, "Null characters are not allowed."),
        ({"options-INITIAL_FORMS": "abc"}, "ManagementForm data is missing"),
    ],
)
def test_garbage_gives_the_form_again_with_errors_never_a_500(
    architect, log, login, read_form, changes, message
):
    build_decision(architect, log)
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    data.update(changes)
    response = client.post("/decisions/AUTH-0001/edit/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Decision.objects.get().title == "Protect tokens"


def test_a_broken_management_form_is_an_error_not_a_crash(architect, log, login):
    build_decision(architect, log)
    response = login(architect).post("/decisions/AUTH-0001/edit/", {"title": "x"})
    assert response.status_code == 400


def test_a_new_decision_without_a_title_is_refused_inline(architect, log, login, read_form):
    client = login(architect)
    data = read_form(client, "/decisions/new/?log=AUTH")
    response = client.post("/decisions/new/", data)
    assert response.status_code == 400
    assert "A decision needs a title." in response.content.decode()
    assert not Decision.objects.exists()


def test_superseding_through_the_form_marks_the_other_superseded(architect, log, login, read_form):
    old = decision_create(actor=architect, log=log, title="Old way")
    decision_change_status(actor=architect, decision=old, status="accepted")
    decision_create(actor=architect, log=log, title="New way")
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0002/edit/")
    data.update({"relations-0-kind": "supersedes", "relations-0-target": "auth-0001"})
    assert client.post("/decisions/AUTH-0002/edit/", data).status_code == 302
    old.refresh_from_db()
    assert old.status == "superseded"
    page = client.get("/decisions/AUTH-0001/").content.decode()
    assert "Superseded by" in page and "AUTH-0002" in page


def test_superseding_a_proposed_decision_is_refused_with_the_reason(
    architect, log, login, read_form
):
    decision_create(actor=architect, log=log, title="Still proposed")
    decision_create(actor=architect, log=log, title="New way")
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0002/edit/")
    data.update({"relations-0-kind": "supersedes", "relations-0-target": "AUTH-0001"})
    response = client.post("/decisions/AUTH-0002/edit/", data)
    assert response.status_code == 400
    assert "only an accepted decision can be superseded" in response.content.decode()


def test_removing_a_relation_in_the_form_removes_it(architect, log, login, read_form):
    a = decision_create(actor=architect, log=log, title="A")
    b = decision_create(actor=architect, log=log, title="B")
    relation_add(actor=architect, source=b, target=a, kind="relates_to")
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0002/edit/")
    assert data["relations-0-target"] == "AUTH-0001"
    data["relations-0-DELETE"] = "on"
    assert client.post("/decisions/AUTH-0002/edit/", data).status_code == 302
    assert not DecisionRelation.objects.exists()


def test_sensitivity_notes_may_favour_an_option_added_in_the_same_submit(
    architect, log, login, read_form
):
    build_decision(architect, log, options=1, criteria=1)
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    data.update(
        {
            "options-1-title": "Gateway authorizer",
            "notes-0-condition": "Not on this host?",
            "notes-0-consequence": "Its cost disappears.",
            "notes-0-favours": "1",
        }
    )
    assert client.post("/decisions/AUTH-0001/edit/", data).status_code == 302
    d = Decision.objects.get()
    note = d.sensitivity_notes.get()
    assert note.favours.title == "Gateway authorizer"
    page = client.get("/decisions/AUTH-0001/").content.decode()
    assert "Not on this host?" in page and "favours Gateway authorizer" in page


def test_the_markdown_preview_returns_sanitised_html(architect, login):
    client = login(architect)
    response = client.post("/decisions/preview/", {"context": "**bold** <script>alert(1)</script>"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>bold</strong>" in body and "<script" not in body


def test_the_edit_page_prefills_revisit_dates(architect, log, login, read_form):
    decision_create(actor=architect, log=log, title="Later", revisit_by=date(2027, 1, 31))
    data = read_form(login(architect), "/decisions/AUTH-0001/edit/")
    assert data["revisit_by"] == "2027-01-31"


@pytest.mark.parametrize("prefix", ["options", "criteria", "notes", "relations"])
def test_the_page_carries_a_template_for_new_rows_and_no_add_row_round_trip(
    architect, log, login, prefix
):
    build_decision(architect, log)
    body = login(architect).get("/decisions/AUTH-0001/edit/").content.decode()
    # rows.js copies this template, replacing __prefix__ (the index) and __num__.
    assert f'name="{prefix}-__prefix__-' in body
    assert 'name="cell-__c__-__o__-score"' in body  # the matrix cell template
    assert 'name="_add"' not in body and "Save and add more rows" not in body


def test_rows_added_in_the_page_are_saved_in_one_submit_with_their_cells(
    architect, log, login, read_form
):
    """What editor.js posts after "Add an option" and "Add a criterion": the formset
    counts one higher, the new rows' fields, and cells keyed by the new indexes."""
    build_decision(architect, log)
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    options, criteria = int(data["options-TOTAL_FORMS"]), int(data["criteria-TOTAL_FORMS"])
    data.update(
        {
            "options-TOTAL_FORMS": str(options + 1),
            f"options-{options}-title": "Added in the page",
            "criteria-TOTAL_FORMS": str(criteria + 1),
            f"criteria-{criteria}-name": "Added criterion",
            f"criteria-{criteria}-weight": "2",
            f"cell-{criteria}-{options}-text": "new × new",
            f"cell-{criteria}-{options}-score": "4",
            "options-1-DELETE": "on",  # "Remove option 2"
        }
    )
    response = client.post("/decisions/AUTH-0001/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    d = Decision.objects.get()
    assert [o.title for o in d.options.order_by("position")] == [
        "Option 0",
        "Option 2",
        "Added in the page",
    ]
    cell = MatrixCell.objects.get(criterion__name="Added criterion")
    assert (cell.option.title, cell.text, cell.score) == ("Added in the page", "new × new", 4)


def test_a_20_by_20_matrix_is_edited_in_one_submit(architect, log, login, read_form):
    build_decision(architect, log, options=20, criteria=20)
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    assert len(data) > 1000  # more than Django's default DATA_UPLOAD_MAX_NUMBER_FIELDS
    data["cell-19-19-score"] = "0"
    data["cell-19-19-text"] = "changed"
    response = client.post("/decisions/AUTH-0001/edit/", data)
    assert response.status_code == 302
    cell = MatrixCell.objects.get(criterion__position=19, option__position=19)
    assert (cell.text, cell.score) == ("changed", 0)
