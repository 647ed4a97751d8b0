"""Content edits: how a change to an acceptance's signed content is made and what it
does to the workflow.

`content_edit` locks the row, checks the editor and the version they saw, runs the
edit, and then, if the canonical content changed: bumps the version (once), and
outside draft voids the signatures and asks again (a new round), or sends the
document back to draft when a signatory edited it (risks.duties). ACCEPTANCE_SAVED
hooks run after any change; the ledger chain records every edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from adr.models import Decision
from config import concurrency
from config.history import tracked_save

from . import duties, hooks, notify
from .ledger_chain import chain_record, html_digest
from .models import RiskAcceptance
from .permissions import require_editor
from .signing import acceptance_digest
from .workflow import (
    SIGNED_STATES,
    STATE_FIELDS,
    Action,
    lock,
    require,
    signatory_users,
    transition,
    void_signatures,
)


def run_saved_hooks(acceptance: RiskAcceptance, actor) -> None:
    for hook in hooks.ACCEPTANCE_SAVED:
        hook(acceptance, actor)


@contextmanager
def content_edit(
    *, actor, acceptance: RiskAcceptance, reason: str, expected_version: int | None = None
) -> Iterator[RiskAcceptance]:
    """Lock, check who may edit and that the editor saw this version, run the edit, and
    handle what it changed.

    If the canonical content changed, the version goes up (once). Outside draft, the
    signatures are voided (kept, in history), the document goes back to awaiting
    signatures in a new round and the signatories hear of it. Hooks (ACCEPTANCE_SAVED)
    run after any change.
    """
    with concurrency.one_bump():
        locked = lock(acceptance)
        require_editor(actor, locked)
        concurrency.check_version(locked, expected_version)
        yield from edit_locked(actor=actor, locked=locked, reason=reason)


def edit_locked(*, actor, locked: RiskAcceptance, reason: str) -> Iterator[RiskAcceptance]:
    require(locked, Action.EDIT)
    voids = locked.state in SIGNED_STATES  # outside draft: the signatures are on this text
    before_digest = acceptance_digest(locked)
    before_users = {u.pk: u for u in signatory_users(locked)}
    yield locked
    after_digest = acceptance_digest(locked)
    facts = {"reason": reason, "digest": after_digest, "html_digest": html_digest(locked.pk)}
    if after_digest == before_digest:
        chain_record(locked, kind="edited", actor=actor, facts=facts, only_if_changed=True)
        return
    concurrency.touch(locked, actor=actor, reason=reason, locked=True)
    if voids and duties.edited_by_signatory(actor, before_users, signatory_users(locked)):
        duties.back_to_draft(locked, actor=actor, reason=reason)
        others = [u for u in signatory_users(locked) if u.pk != actor.pk]
        notify.notify_signatories(locked, others, "withdrawn", actor=actor)
    elif voids:
        void_signatures(locked, actor=actor, reason=f"content changed: {reason}")
        transition(locked, Action.EDIT, reason=f"content changed: {reason}")
        locked.signing_round += 1
        tracked_save(
            locked,
            actor=actor,
            reason=f"signatures void, re-requested: {reason}",
            update_fields=[*STATE_FIELDS, "signing_round"],
        )
        after_users = {u.pk: u for u in signatory_users(locked)}
        notify.notify_list_change(locked, before=before_users, after=after_users, actor=actor)
    run_saved_hooks(locked, actor)
    chain_record(locked, kind="edited", actor=actor, facts=facts)


def apply_decisions(
    acceptance: RiskAcceptance, decisions: Iterable | None, *, actor=None, reason: str = ""
) -> None:
    """Link these decisions. In an edit (`actor` given) the version goes up first, so the
    links' history row carries the new version (config.concurrency.conflict_for)."""
    if decisions is None:
        return
    wanted = {d.pk if hasattr(d, "pk") else int(d) for d in decisions}
    current = set(acceptance.decisions.values_list("pk", flat=True))
    if wanted != current:
        if actor is not None:
            concurrency.touch(acceptance, actor=actor, reason=reason, locked=True)
        acceptance.decisions.set(Decision.objects.filter(pk__in=wanted))
