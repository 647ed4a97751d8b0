"""Segregation of duties around signing.

Two rules, both here or in the services that call these helpers:

- whoever submits a document for signature cannot sign it (permissions.require_can_sign),
  and a named signatory cannot submit it (workflow.submit_problems);
- after submission, an edit of signed content by someone who is (or becomes) a named
  signatory sends the document back to *draft*: the signatures are void and a new
  submission, by someone who is not a signatory, is needed. So nobody signs text that
  they wrote after the last independent submission.
"""

from __future__ import annotations

from collections.abc import Iterable

from config.history import tracked_save

from .models import RiskAcceptance
from .workflow import Action, transition, void_signatures


def edited_by_signatory(actor, before: Iterable, after: Iterable) -> bool:
    """Is `actor` among the signatories before or after the edit (ids or users)?"""
    ids = {getattr(u, "pk", u) for u in before} | {getattr(u, "pk", u) for u in after}
    return getattr(actor, "pk", None) in ids


def back_to_draft(acceptance: RiskAcceptance, *, actor, reason: str) -> None:
    """Void every valid signature and return the locked `acceptance` to draft."""
    why = f"edited by a signatory ({actor.printed_name}) after submission: {reason}"
    void_signatures(acceptance, actor=actor, reason=why[:300])
    transition(acceptance, Action.SIGNATORY_EDIT, reason=why)
    tracked_save(
        acceptance,
        actor=actor,
        reason=f"back to draft, signatory edited: {reason}",
        update_fields=["state", "state_reason", "state_changed_at"],
    )
