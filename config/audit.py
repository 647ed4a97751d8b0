"""Audit rows are never deleted or edited by the app, the admin or a cascade.

The audit rows are the evaluations, fired events and webhook deliveries of a trigger,
the signatures and signing attempts of a risk acceptance, the outbox (notifications) and
every history row. How each is kept:

- Their foreign keys to their parents are `PROTECT` (trigger → evaluations, fired events,
  deliveries; acceptance → signatures, signing attempts, triggers; mitigation → its
  trigger; user → signatures, signing attempts, acknowledgements, notifications), so a
  delete of the parent — `Model.delete()`, `QuerySet.delete()` or a cascade from further
  up (a decision log, an acceptance, a user) — raises `ProtectedError` and deletes nothing.
  `Signature.signatory` is `DO_NOTHING` without a database constraint (as history rows
  point at their objects): removing a signatory line keeps the id on the signatures it
  was given under, rather than blanking it.
- History rows point at their actor with simple-history's `history_user` (SET_NULL,
  fixed by the library): `refuse_deleting_an_actor` refuses to delete a user who is the
  actor of any history row, so no history row is ever blanked. Deactivate the user.
- The admin is read-only for ledger models (`config.admin`).
- Services that remove a parent go through `delete_or_refuse`, which turns the
  `ProtectedError` into a `ValidationError` naming what is on record (a page shows it;
  never a 500), or retire the parent first (`triggers.removal`).
"""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from config.history import tracked_delete


def _records(objects) -> str:
    counts = Counter(type(o)._meta for o in objects)
    parts = [
        f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}"
        for meta, n in sorted(counts.items(), key=lambda item: item[0].label)
    ]
    return ", ".join(parts)


def refusal_message(obj: models.Model, error: ProtectedError | RestrictedError) -> str:
    """A sentence for people: what cannot be removed, and which records keep it."""
    objects = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", ())
    what = f"{type(obj)._meta.verbose_name} “{obj}”"
    return (
        f"The {what} cannot be removed: {_records(objects)} on record refer to it, "
        "and records of what happened are kept for good."
    )


def delete_or_refuse(obj: models.Model, *, actor=None, reason: str = "") -> None:
    """Delete `obj` (stamping its history row), or raise `ValidationError` with the reason
    if audit rows depend on it. Nothing is deleted when it refuses."""
    try:
        with transaction.atomic():
            tracked_delete(obj, actor=actor, reason=reason)
    except (ProtectedError, RestrictedError) as error:
        raise ValidationError(refusal_message(obj, error)) from error


def _history_relations(user_model) -> list[models.ForeignObjectRel]:
    """The `history_user` relations of every history model (hidden: related_name '+')."""
    return [
        rel
        for rel in user_model._meta.get_fields(include_hidden=True)
        if isinstance(rel, models.ManyToOneRel) and rel.field.name == "history_user"
    ]


def refuse_deleting_an_actor(sender, instance, **kwargs) -> None:
    """pre_delete of the user model: a user who acted in the ledger is never deleted,
    since deleting them would blank the actor of their history rows. Runs for
    `Model.delete()` and `QuerySet.delete()` alike, inside the delete's transaction."""
    for rel in _history_relations(sender):
        rows = list(rel.related_model._base_manager.filter(history_user=instance)[:20])
        if rows:
            raise ProtectedError(
                f"Cannot delete the user “{instance}”: they are the recorded actor of "
                f"history rows (of {rel.related_model._meta.verbose_name_plural} and maybe "
                "more). Deactivate the account instead.",
                set(rows),
            )
