"""services.decision_save_full: the edit page's single atomic save."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from adr import services
from adr.models import Decision, MatrixCell, Option

pytestmark = pytest.mark.django_db


def rows(*titles, chosen=None):
    return [
        services.OptionRow(fields={"title": t, "chosen": i == chosen}) for i, t in enumerate(titles)
    ]


def test_it_creates_a_decision_with_options_criteria_cells_and_notes(architect, log):
    d = services.decision_save_full(
        actor=architect,
        decision=None,
        log=log,
        fields={"title": "New", "context": "*ctx*"},
        tags=["a"],
        options=rows("A", "B", chosen=1),
        criteria=[services.CriterionRow(fields={"name": "Cost", "weight": 2})],
        cells=[services.CellRow(0, 0, "cheap", 5), services.CellRow(0, 1, "dear", 1)],
        notes=[services.NoteRow(fields={"condition": "If"}, favours=1)],
        reason="first draft",
    )
    assert d.reference == "AUTH-0001"
    assert d.options.get(chosen=True).title == "B"
    assert MatrixCell.objects.filter(criterion__decision=d).count() == 2
    assert d.sensitivity_notes.get().favours.title == "B"
    assert d.history.first().history_change_reason == "first draft"
    assert Option.history.filter(decision_id=d.pk).first().history_user == architect


def test_a_failure_in_any_part_saves_nothing(architect, log):
    d = services.decision_create(actor=architect, log=log, title="Keep")
    with pytest.raises(ValidationError):
        services.decision_save_full(
            actor=architect,
            decision=d,
            fields={"title": "Changed"},
            options=rows("A"),
            criteria=[services.CriterionRow(fields={"name": "Bad", "weight": -1})],
        )
    d.refresh_from_db()
    assert d.title == "Keep"
    assert not Option.objects.exists()


def test_two_chosen_options_are_refused(architect, log):
    with pytest.raises(ValidationError):
        services.decision_save_full(
            actor=architect,
            decision=None,
            log=log,
            fields={"title": "x"},
            options=[
                services.OptionRow(fields={"title": "A", "chosen": True}),
                services.OptionRow(fields={"title": "B", "chosen": True}),
            ],
        )
    assert not Decision.objects.exists()


def test_moving_the_choice_to_another_option_works(architect, log):
    d = services.decision_save_full(
        actor=architect,
        decision=None,
        log=log,
        fields={"title": "x"},
        options=rows("A", "B", chosen=0),
    )
    a, b = d.options.order_by("position")
    services.decision_save_full(
        actor=architect,
        decision=d,
        fields={},
        options=[
            services.OptionRow(id=a.pk, fields={"title": "A", "chosen": False}),
            services.OptionRow(id=b.pk, fields={"title": "B", "chosen": True}),
        ],
    )
    assert d.options.get(chosen=True).pk == b.pk


def test_rows_of_another_decision_are_refused(architect, log):
    other = services.decision_save_full(
        actor=architect, decision=None, log=log, fields={"title": "o"}, options=rows("Theirs")
    )
    mine = services.decision_create(actor=architect, log=log, title="mine")
    with pytest.raises(ValidationError, match="reload the page"):
        services.decision_save_full(
            actor=architect,
            decision=mine,
            fields={},
            options=[services.OptionRow(id=other.options.get().pk, fields={"title": "hijack"})],
        )
    assert other.options.get().title == "Theirs"


@pytest.mark.parametrize("persona", ["stakeholder", "auditor", "outsider"])
def test_only_architects_may_save(request, log, persona):
    with pytest.raises(PermissionDenied):
        services.decision_save_full(
            actor=request.getfixturevalue(persona), decision=None, log=log, fields={"title": "x"}
        )
    assert not Decision.objects.exists()
