"""A decision's own content: create one, edit its fields and tags."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config import concurrency
from config.history import tracked_save

from ..access import require_decision_writer, require_log_writer
from ..models import Decision, DecisionLog, Tag
from .lifecycle import TRANSITIONS, require_deferral_backed, require_status_checks
from .logs import next_number

if TYPE_CHECKING:
    from config.accounts.models import User

S = Decision.Status

# A decision's own content, in page order (the edit form, the API and the importer use
# this list; `status` and `needs_review` have their own services).
EDITABLE_FIELDS = (
    "title",
    "decided_on",
    "revisit_by",
    "deciders",
    "consulted",
    "informed",
    "context",
    "drivers",
    "outcome_rationale",
    "consequences_good",
    "consequences_bad",
    "consequences_neutral",
    "confirmation",
    "more_information",
    "source_path",
)
# Set by the importer, never by the edit form: the file a decision came from and how it
# said things (adr.interop writes both back on export).
SOURCE_FIELDS = ("source_file", "source_meta")


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS) - set(SOURCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown decision fields: {sorted(unknown)}")


def tag_names(tags: Iterable[str]) -> list[str]:
    """The names `set_tags` stores for `tags` ('Web App' → 'web-app'), sorted."""
    return sorted({t.strip().lower().replace(" ", "-")[:50] for t in tags if t and t.strip()})


def set_tags(
    decision: Decision, tags: Iterable[str], before_change: Callable[[], Any] | None = None
) -> None:
    """Set the decision's tags; `before_change` runs first if they change (e.g. the
    version bump, so that the tags' history row carries the new version)."""
    names = tag_names(tags)
    current = set(decision.tags.values_list("name", flat=True))
    if current != set(names):
        if before_change is not None:
            before_change()
        decision.tags.set([Tag.objects.get_or_create(name=name)[0] for name in names])


def parse_tags(text: str) -> list[str]:
    return [t for t in (part.strip() for part in text.replace(";", ",").split(",")) if t]


@transaction.atomic
def decision_create(
    *,
    actor: User,
    log: DecisionLog,
    title: str,
    status: str = S.PROPOSED,
    number: int | None = None,
    tags: Iterable[str] = (),
    reason: str = "decision created",
    enforce_lifecycle: bool = True,
    **fields: Any,
) -> Decision:
    """Create a decision with the next number in its log (or `number`, for imports).

    A decision is born proposed. Created in another ``status`` (the API's create, the
    edit page), it passes the checks `decision_change_status` runs for the move from
    proposed: the lifecycle (accepted, rejected or deferred; nothing is *created*
    superseded or deprecated) and every registered status check (adr.status_checks, e.g.
    the approvals a log's review policy requires), refused with the same message.

    ``enforce_lifecycle=False`` is for imports only (adr.interop, as for an existing
    decision in `decision_change_status`): a file records a decision taken elsewhere,
    maybe years ago, so it is created in the status the file states and no status check
    applies, whatever the log's review policy is now. This gives the importer (staff or
    a writer of the log, the only people who may import into it) no power they lack: the
    log's writers set its review policy too. The history row names them and the import.
    """
    require_log_writer(actor, log)
    _check_fields(fields)
    decision = Decision(log=log, title=title.strip(), status=status, created_by=actor, **fields)
    if status not in S.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    born_in_status = enforce_lifecycle and status != S.PROPOSED
    if born_in_status and status not in TRANSITIONS[S.PROPOSED]:
        allowed = ", ".join(sorted({S.PROPOSED, *TRANSITIONS[S.PROPOSED]}))
        raise ValidationError(
            {
                "status": f"A new decision cannot be created {S(status).label.lower()} "
                f"(allowed: {allowed})."
            }
        )
    if number is not None and Decision.objects.filter(log=log, number=number).exists():
        raise ValidationError({"number": f"{log.key}-{number:04d} already exists."})
    require_deferral_backed(decision)
    decision.number = next_number(log, number)
    decision.full_clean()
    tracked_save(decision, actor=actor, reason=reason)
    if born_in_status:
        # After the save: the checks read the decision's rows (reviews, its log's policy);
        # a refusal rolls the new decision back with this transaction.
        require_status_checks(decision=decision, status=status, actor=actor)
    if tags:
        set_tags(decision, tags)
    return decision


@transaction.atomic
def decision_update(
    *,
    actor: User,
    decision: Decision,
    tags: Iterable[str] | None = None,
    reason: str = "edited",
    expected_version: int | None = None,
    **fields: Any,
) -> Decision:
    """Edit a decision's content (not its status: see `decision_change_status`).

    Works on the locked row and writes only the fields that change, so the "needs
    review" flag (decision_flag_review) set after the editor loaded the page survives.
    Returns the locked row (the caller's copy may be stale)."""
    require_decision_writer(actor, decision)
    _check_fields(fields)
    with concurrency.one_bump():
        locked = concurrency.lock(decision)
        concurrency.check_version(locked, expected_version)
        changed = concurrency.assign(locked, **fields)
        require_deferral_backed(locked)
        if changed:
            locked.updated_at = timezone.now()
            locked.full_clean()
            concurrency.save_changed(
                locked, fields=[*changed, "updated_at"], actor=actor, reason=reason
            )
        if tags is not None:
            set_tags(
                locked,
                tags,
                before_change=lambda: concurrency.touch(
                    locked, actor=actor, reason=reason, locked=True
                ),
            )
    decision.version = locked.version
    return locked
