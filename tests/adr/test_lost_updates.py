"""No lost updates on decisions and logs (PostgreSQL, one connection per editor).

Two editors load the same version, then save at the same moment (both queued on the
row lock, which the test checks): the first wins, the second is refused with a
ConflictError and writes nothing. Bookkeeping that is not the editor's — the "needs
review" flag a sweep sets, a log's decision counter — survives an edit loaded before it.
"""

from __future__ import annotations

import pytest

from adr import services
from adr.models import Decision, DecisionLog
from config.concurrency import ConflictError
from tests.conftest import require_postgres
from tests.support.race import queued_on_row_lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAGE_FIELDS = [name for name in services.EDITABLE_FIELDS if name != "source_path"]


def one_wins(outcomes):
    """(winner's value, index of the winner): exactly one saved, the other was refused."""
    saved = [i for i, o in enumerate(outcomes) if o.error is None]
    refused = [i for i, o in enumerate(outcomes) if isinstance(o.error, ConflictError)]
    assert len(saved) == 1 and len(refused) == 1, [o.error for o in outcomes]
    return saved[0]


def decision_editor(actor, pk: int, **typed):
    """An edit page's submit: load the decision (and its version), then save the page."""

    def load():
        loaded = Decision.objects.get(pk=pk)
        fields = {name: getattr(loaded, name) for name in PAGE_FIELDS}

        def save():
            return services.decision_save_full(
                actor=actor,
                decision=loaded,
                fields={**fields, **typed},
                expected_version=loaded.version,
            )

        return save

    return load


def test_two_concurrent_edits_of_a_decision_the_second_is_refused_and_nothing_is_overwritten(
    architect, log
):
    require_postgres()
    d = services.decision_create(actor=architect, log=log, title="Original", context="Before.")
    outcomes = queued_on_row_lock(
        Decision,
        d.pk,
        decision_editor(architect, d.pk, title="Alice's title", context="Alice's context."),
        decision_editor(architect, d.pk, title="Bob's title", context="Bob's context."),
    )
    winner = one_wins(outcomes)
    d.refresh_from_db()
    expected = [("Alice's title", "Alice's context."), ("Bob's title", "Bob's context.")]
    assert (d.title, d.context) == expected[winner]
    assert d.version == 2
    loser_title = expected[1 - winner][0]
    assert loser_title not in set(d.history.values_list("title", flat=True))


def test_the_review_flag_a_sweep_sets_survives_an_edit_loaded_before_it(architect, log):
    require_postgres()
    d = services.decision_create(actor=architect, log=log, title="Original")

    def sweep_flags():
        services.decision_flag_review(decision=d, reason="Legacy frontend sunset fired.")

    # The editor loads (no flag yet), the sweep flags the decision while the editor's
    # save waits on the row, then the save goes through from the locked row.
    [outcome] = queued_on_row_lock(
        Decision,
        d.pk,
        decision_editor(architect, d.pk, title="Edited after loading"),
        holder=sweep_flags,
    )
    assert outcome.error is None, outcome.error
    d.refresh_from_db()
    assert d.title == "Edited after loading"
    assert d.needs_review and d.needs_review_reason == "Legacy frontend sunset fired."
    assert d.version == 2  # the flag is bookkeeping: it did not make the edit stale


def log_renamer(actor, key: str, name: str):
    def load():
        loaded = DecisionLog.objects.get(key=key)  # its counter as it was then

        def save():
            return services.log_update(
                actor=actor, log=loaded, name=name, expected_version=loaded.version
            )

        return save

    return load


def test_two_concurrent_renames_of_a_log_the_second_is_refused(architect, log):
    require_postgres()
    outcomes = queued_on_row_lock(
        DecisionLog,
        log.pk,
        log_renamer(architect, log.key, "Identity"),
        log_renamer(architect, log.key, "Authentication"),
    )
    winner = one_wins(outcomes)
    log.refresh_from_db()
    assert log.name == ["Identity", "Authentication"][winner]
    assert log.version == 2


def test_renaming_a_log_loaded_before_decisions_were_numbered_keeps_the_counter(architect, log):
    require_postgres()

    def number_two_decisions():
        for title in ("First", "Second"):
            services.decision_create(actor=architect, log=log, title=title)

    [outcome] = queued_on_row_lock(
        DecisionLog,
        log.pk,
        log_renamer(architect, log.key, "Renamed"),
        holder=number_two_decisions,
    )
    assert outcome.error is None, outcome.error
    log.refresh_from_db()
    assert (log.name, log.last_number) == ("Renamed", 2)
    # The counter was not written back: the next decision is numbered, not refused.
    assert services.decision_create(actor=architect, log=log, title="Third").number == 3
