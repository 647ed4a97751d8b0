"""What the detail and list pages show."""

from datetime import date

import pytest

from adr.services import (
    cell_set,
    criterion_save,
    decision_change_status,
    decision_create,
    decision_flag_review,
    option_save,
    relation_add,
)

pytestmark = pytest.mark.django_db


def scored(architect, log, *, chosen: int):
    d = decision_create(
        actor=architect,
        log=log,
        title="Where tokens live",
        deciders="Alice\nEric",
        consulted="Sofia",
        informed="Sam",
        drivers="- First driver\n- Second driver",
        outcome_rationale="Because *judgment*.",
    )
    a = option_save(actor=architect, decision=d, title="Fix now", position=0, good="Safe\nClean")
    b = option_save(actor=architect, decision=d, title="Defer", position=1, bad="Debt")
    cost = criterion_save(actor=architect, decision=d, name="Cost", weight=2)
    risk = criterion_save(actor=architect, decision=d, name="Risk", weight=1)
    cell_set(actor=architect, criterion=cost, option=a, text="high", score=1)
    cell_set(actor=architect, criterion=cost, option=b, text="low", score=4)
    cell_set(actor=architect, criterion=risk, option=a, text="low", score=5)
    cell_set(actor=architect, criterion=risk, option=b, text="high", score=0)
    option_save(actor=architect, decision=d, option=[a, b][chosen], chosen=True)
    return d


def test_the_detail_page_shows_the_matrix_weights_and_weighted_totals(architect, log, login):
    scored(architect, log, chosen=1)
    page = login(architect).get("/decisions/AUTH-0001/").content.decode()
    # Fix now: 2×1 + 1×5 = 7; Defer: 2×4 + 1×0 = 8.
    assert '<td class="total">7</td>' in page and '<td class="total">8</td>' in page
    assert '<td class="weight">2</td>' in page
    for n in (0, 1, 4, 5):
        assert f'class="score-{n}"' in page
    assert "Judgment overruled the matrix" not in page
    assert '<ol class="drivers"><li>First driver</li><li>Second driver</li></ol>' in page
    assert "<li>Safe</li>" in page and "<li>Debt</li>" in page
    assert "<em>judgment</em>" in page
    assert "Alice<br>Eric" in page


def test_the_page_says_so_when_the_chosen_option_is_not_the_top_scored(architect, log, login):
    scored(architect, log, chosen=0)
    page = login(architect).get("/decisions/AUTH-0001/").content.decode()
    assert "Judgment overruled the matrix" in page
    assert "“Fix now”, is not the top-scored one (“Defer”)" in page


def test_relations_show_both_ways(architect, log, login):
    old = decision_create(actor=architect, log=log, title="Old")
    decision_change_status(actor=architect, decision=old, status="accepted")
    new = decision_create(actor=architect, log=log, title="New")
    other = decision_create(actor=architect, log=log, title="Other")
    relation_add(actor=architect, source=new, target=old, kind="supersedes")
    relation_add(actor=architect, source=other, target=new, kind="amends")
    relation_add(actor=architect, source=new, target=other, kind="relates_to")
    client = login(architect)
    new_page = client.get("/decisions/AUTH-0002/").content.decode()
    assert 'Supersedes <a href="/decisions/AUTH-0001/">' in new_page
    assert 'Amended by <a href="/decisions/AUTH-0003/">' in new_page
    assert 'Relates to <a href="/decisions/AUTH-0003/">' in new_page
    old_page = client.get("/decisions/AUTH-0001/").content.decode()
    assert 'Superseded by <a href="/decisions/AUTH-0002/">' in old_page
    assert "is final" in old_page  # no transitions out of superseded


def test_the_needs_review_banner_shows_the_reason(architect, stakeholder, log, login):
    d = decision_create(actor=architect, log=log, title="Watched")
    decision_flag_review(decision=d, reason="Trigger “RBAC done” fired")
    page = login(stakeholder).get("/decisions/AUTH-0001/").content.decode()
    assert "Needs review." in page and "Trigger “RBAC done” fired" in page


def test_short_references_resolve_and_links_are_padded(architect, log, login):
    decision_create(actor=architect, log=log, title="Padded")
    client = login(architect)
    assert client.get("/decisions/AUTH-1/").status_code == 200
    assert client.get("/decisions/auth-0001/").status_code == 200
    assert 'href="/decisions/AUTH-0001/"' in client.get("/decisions/").content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=tokens", {"AUTH-0001"}),
        ("q=auth-0002", {"AUTH-0002"}),
        ("q=Vercel", {"AUTH-0002"}),  # an option's description
        ("status=deferred", {"AUTH-0003"}),
        ("tag=frontend", {"AUTH-0002"}),
        ("log=PAY", {"PAY-0001"}),
        ("review=1", {"PAY-0001"}),
        ("q=nothing-matches-this", set()),
        ("status=bogus&tag=&log=", {"AUTH-0001", "AUTH-0002", "AUTH-0003", "PAY-0001"}),
        # NUL bytes never reach the view: config/middleware.py answers 400 (tests/platform).
        ("page=999&q=%ff", set()),
    ],
)
def test_the_list_filters_and_searches(architect, log, login, query, expected):
    from adr.services import log_create

    decision_create(actor=architect, log=log, title="Where tokens live")
    d2 = decision_create(actor=architect, log=log, title="Hosting", tags=["frontend"])
    option_save(actor=architect, decision=d2, title="Move", description="Leave Vercel")
    d3 = decision_create(actor=architect, log=log, title="Later")
    decision_change_status(
        actor=architect, decision=d3, status="deferred", revisit_by=date(2027, 1, 1)
    )
    pay = log_create(actor=architect, key="PAY", name="Payments")
    p1 = decision_create(actor=architect, log=pay, title="Card vault")
    decision_flag_review(decision=p1, reason="x")
    response = login(architect).get(f"/decisions/?{query}")
    assert response.status_code == 200
    found = {d.reference for d in response.context["page"]}
    assert found == expected


def test_clearing_the_revisit_date_of_a_deferred_decision_is_refused_in_the_form(
    architect, log, login, read_form
):
    d = decision_create(actor=architect, log=log, title="Later")
    decision_change_status(
        actor=architect, decision=d, status="deferred", revisit_by=date(2027, 1, 1)
    )
    client = login(architect)
    data = read_form(client, "/decisions/AUTH-0001/edit/")
    data["revisit_by"] = ""
    response = client.post("/decisions/AUTH-0001/edit/", data)
    assert response.status_code == 400
    assert "procrastination" in response.content.decode()
    d.refresh_from_db()
    assert d.revisit_by == date(2027, 1, 1)


def test_the_edit_page_has_one_save_button(architect, log, login):
    body = login(architect).get("/decisions/new/?log=AUTH").content.decode()
    assert body.count('type="submit"') - body.count('action="/accounts/logout/"') == 1
    assert ">Save</button>" in body


def test_linked_risk_acceptances_and_triggers_are_listed(
    architect, stakeholder, log, login, django_assert_max_num_queries
):
    from risks.models import RiskAcceptance

    d = decision_create(actor=architect, log=log, title="Deferred fix")
    for i in range(5):
        ra = RiskAcceptance.objects.create(
            title=f"JS-readable tokens {i}", risk_statement="XSS reads tokens", owner=stakeholder
        )
        ra.decisions.add(d)
    client = login(stakeholder)
    # + the review (policy, requests, reviews) and comment (2) sections of later apps
    with django_assert_max_num_queries(21):
        page = client.get("/decisions/AUTH-0001/").content.decode()
    assert "JS-readable tokens 4" in page and "Draft" in page
    assert f'href="{ra.get_absolute_url()}"' in page
    # The risks and triggers apps' panels (adr/panels.py) name the section.
    assert "<strong>Triggers</strong>" in page
    assert "Relations, risk acceptances and triggers" in page


def test_triggers_on_the_decision_and_its_sensitivity_notes_are_listed(
    architect, auditor, log, login, django_assert_max_num_queries
):
    from adr.services import sensitivity_note_save
    from triggers.models import Trigger

    d = decision_create(actor=architect, log=log, title="Deferred fix")
    notes = [
        sensitivity_note_save(actor=architect, decision=d, condition=f"If {i}") for i in range(4)
    ]
    for i, note in enumerate(notes):
        t = Trigger.objects.create(name=f"Sunset {i}", kind="date", sensitivity_note=note)
        t.decisions.add(d)
    client = login(auditor)
    with django_assert_max_num_queries(22):  # as above: + review and comment sections
        page = client.get("/decisions/AUTH-0001/").content.decode()
    assert "Sunset 3" in page and "watched: Sunset 0 (armed)" in page
    assert f'href="{t.get_absolute_url()}"' in page
