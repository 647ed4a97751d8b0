"""`seed_demo` loads the case study once, prints the logins, and is idempotent."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from adr.demo import CASE_STUDY_TITLE
from adr.models import Decision, DecisionRelation, MatrixCell
from config.management.commands.seed_demo import DEMO_USERS

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    """Row counts of every table, history tables included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_seeding_twice_changes_nothing():
    _seed()
    first = _counts()
    _seed()
    assert _counts() == first
    assert first["adr.Decision"] >= 6
    assert first["adr.DecisionLog"] == 2


def test_it_prints_every_demo_login_with_its_password():
    output = _seed()
    for username, _printed, _email, role, password, _staff in DEMO_USERS:
        assert username in output
        assert password in output
        assert role in output
    # The printed passwords work.
    from django.contrib.auth import get_user_model

    for username, _printed, _email, _role, password, _staff in DEMO_USERS:
        assert get_user_model().objects.get(username=username).check_password(password)


def test_the_case_study_has_four_options_five_criteria_twenty_cells_and_four_notes():
    _seed()
    d = Decision.objects.get(log__key="AUTH", title=CASE_STUDY_TITLE)
    assert d.status == Decision.Status.DEFERRED
    assert d.revisit_by is not None
    assert d.options.count() == 4
    assert d.criteria.count() == 5
    cells = MatrixCell.objects.filter(criterion__decision=d)
    assert cells.count() == 20
    assert all(c.text and c.score is not None and 0 <= c.score <= 5 for c in cells)
    assert d.sensitivity_notes.count() == 4
    assert len(d.drivers_list) == 6
    chosen = d.options.get(chosen=True)
    assert chosen.title.startswith("Conscious deferral")
    assert [o.title for o in d.options.order_by("position")] == [
        "Next.js BFF proxy",
        "Token broker with a session database",
        "API Gateway Lambda authorizer reading cookies",
        "Conscious deferral with foundation work",
    ]
    assert [c.name for c in d.criteria.order_by("position")] == [
        "Frontend impact",
        "Backend impact",
        "Cost surface",
        "New attack surface",
        "Reversibility",
    ]
    for option in d.options.all():
        assert option.good_list and option.bad_list and option.verdict and option.findings
    assert "pentest" in d.context_html.lower() or "penetration" in d.context_html.lower()
    assert "HttpOnly" in d.context_html
    assert {"security", "auth"} <= {t.name for t in d.tags.all()}
    # The note "not on Vercel" favours the BFF proxy.
    vercel = d.sensitivity_notes.get(condition__icontains="Vercel")
    assert vercel.favours.title == "Next.js BFF proxy"


def test_the_chosen_option_also_tops_the_weighted_matrix():
    _seed()
    d = Decision.objects.get(log__key="AUTH", title=CASE_STUDY_TITLE)
    totals = {
        option.title: sum(
            (c.criterion.weight * c.score for c in option.cells.select_related("criterion")),
            Decimal(0),
        )
        for option in d.options.all()
    }
    assert max(totals, key=totals.get) == "Conscious deferral with foundation work"


def test_other_decisions_cover_every_status_and_one_supersedes_another():
    _seed()
    statuses = set(Decision.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in Decision.Status}
    relation = DecisionRelation.objects.get(kind=DecisionRelation.Kind.SUPERSEDES)
    assert relation.target.status == Decision.Status.SUPERSEDED
    assert relation.source.status == Decision.Status.ACCEPTED
    assert DecisionRelation.objects.filter(kind=DecisionRelation.Kind.AMENDS).exists()


def test_every_demo_change_is_in_history_with_the_architect_as_actor():
    _seed()
    d = Decision.objects.get(log__key="AUTH", title=CASE_STUDY_TITLE)
    records = list(d.history.order_by("history_date"))
    # Created as proposed (the tags write a second record), then deferred.
    assert records[0].status == "proposed" and records[-1].status == "deferred"
    assert records[-1].history_change_reason.startswith("deferred")
    assert {r.history_user.username for r in records} == {"alice"}


def test_a_second_run_keeps_edits_made_in_the_ui():
    _seed()
    d = Decision.objects.get(log__key="AUTH", title=CASE_STUDY_TITLE)
    option = d.options.get(position=1)
    option.verdict = "Edited by an architect"
    option.save()
    _seed()
    option.refresh_from_db()
    assert option.verdict == "Edited by an architect"
