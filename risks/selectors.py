"""Reads for risk acceptance pages: a fixed number of queries whatever the row counts."""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from adr.models import Decision
from config.accounts.roles import require_reader
from config.history import FieldChange, HistoryEntry, history_entries
from config.panels import with_prefetches

from .access import readable_acceptance_q
from .hooks import ACCEPTANCE_PANELS
from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature

if TYPE_CHECKING:
    from config.accounts.models import User


def awaiting_signature_of(user: User) -> Q:
    """Acceptances awaiting `user`'s signature: named, and no valid signature yet."""
    named = RequiredSignatory.objects.filter(acceptance=OuterRef("pk"), user=user)
    signed = Signature.objects.filter(acceptance=OuterRef("pk"), user=user, void=False)
    return Q(state=RiskAcceptance.State.AWAITING) & Q(Exists(named)) & ~Q(Exists(signed))


# The columns the acceptance list shows (risks/list.html).
LIST_FIELDS = (
    "title",
    "finding_source",
    "finding_reference",
    "state",
    "likelihood",
    "impact",
    "expires_on",
    "created_at",
    "owner__username",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
)


def acceptance_list(
    *,
    user: User,
    state: str | None = None,
    owner: str | None = None,
    mine: bool = False,
) -> QuerySet[RiskAcceptance]:
    require_reader(user)

    # Counts as correlated subqueries: PostgreSQL computes them for the 50 rows of the
    # page only, instead of aggregating every acceptance's signatures before the LIMIT.
    def count_of(qs: QuerySet[Any]) -> Coalesce:
        counted = qs.filter(acceptance=OuterRef("pk")).values("acceptance")
        return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")[:1]), Value(0))

    qs = (
        RiskAcceptance.objects.filter(readable_acceptance_q(user))
        .select_related("owner")
        .only(*LIST_FIELDS)
        .annotate(
            signatory_count=count_of(RequiredSignatory.objects.all()),
            approval_count=count_of(Signature.objects.filter(void=False, verdict="approve")),
        )
        .order_by("-created_at", "-pk")
    )
    if state:
        qs = qs.filter(state=state)
    if owner:
        qs = qs.filter(owner__username=owner)
    if mine:
        qs = qs.filter(awaiting_signature_of(user))
    return qs


def acceptances_with_parts() -> QuerySet[RiskAcceptance]:
    """Acceptances with their people, mitigations, signatories, signatures and decisions
    (the document pages and the API): a fixed number of queries for any number of rows."""
    return RiskAcceptance.objects.select_related(
        "owner", "submitted_by", "created_by"
    ).prefetch_related(
        Prefetch("mitigations", queryset=Mitigation.objects.select_related("owner")),
        Prefetch("signatories", queryset=RequiredSignatory.objects.select_related("user")),
        Prefetch(
            "signatures",
            queryset=Signature.objects.select_related("user").order_by("signed_at", "id"),
        ),
        Prefetch("decisions", queryset=Decision.objects.select_related("log")),
    )


def acceptance_get(*, user: User, pk: int, signatory_reads: bool = False) -> RiskAcceptance:
    """One acceptance with everything the detail, sign and print pages show.

    `signatory_reads`: a named signatory without a ledger role may still read what they
    are asked to sign (the sign page).
    """
    # The panels later apps add to the page (hooks.ACCEPTANCE_PANELS) prefetch theirs.
    qs = with_prefetches(acceptances_with_parts(), ACCEPTANCE_PANELS)
    if not (
        signatory_reads
        and getattr(user, "is_authenticated", False)
        and RequiredSignatory.objects.filter(acceptance_id=pk, user=user).exists()
    ):
        require_reader(user)
        # Linked only to private logs: for their teams (risks.access).
        qs = qs.filter(readable_acceptance_q(user))
    return get_object_or_404(qs, pk=pk)


def acceptance_readable(*, user: User, pk: int) -> RiskAcceptance:
    """One acceptance ``user`` reads (risks.access), without the detail page's
    prefetches (history, versions, signed rounds and the actions that redirect to the
    page): a 404 for one of a private log they are not in."""
    require_reader(user)
    rows = RiskAcceptance.objects.select_related("owner").filter(readable_acceptance_q(user))
    return get_object_or_404(rows, pk=pk)


def signature_panel(acceptance: RiskAcceptance) -> list[dict]:
    """One row per named signatory: their valid signature, if any (from prefetched data)."""
    valid = {s.user_id: s for s in acceptance.signatures.all() if not s.void}
    return [
        {"line": line, "signature": valid.get(line.user_id)}
        for line in acceptance.signatories.all()
    ]


def _fetch(model: type[models.Model], **filters: Any) -> QuerySet[Any]:
    return (
        model.history.filter(**filters)  # type: ignore[attr-defined]  # simple-history's
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def _decision_link_changes(records: list) -> tuple[dict[int, set[int]], dict[int, str]]:
    """Linked decisions (an M2M) as readable changes, two queries for all records.

    simple-history's diff_against queries the M2M history twice per record; we switch
    that off on these records and diff the sets ourselves.
    """
    if not records:
        return {}, {}
    # simple-history declares the M2M history model when the app loads.
    from .models import HistoricalRiskAcceptance_decisions as through  # type: ignore[attr-defined]

    rows = through.objects.filter(history_id__in=[r.history_id for r in records]).values_list(
        "history_id", "decision_id"
    )
    linked: dict[int, set[int]] = {}
    for history_id, decision_id in rows:
        linked.setdefault(history_id, set()).add(decision_id)
    ids = set(chain.from_iterable(linked.values()))
    labels = {d.pk: d.reference for d in Decision.objects.filter(pk__in=ids).select_related("log")}
    return linked, labels


def acceptance_history(*, user: User, acceptance: RiskAcceptance) -> list[HistoryEntry]:
    """Every change to the acceptance and its parts, newest first, with readable diffs.

    A fixed number of queries: one per tracked model, plus two for linked decisions.
    """
    require_reader(user)
    pk = acceptance.pk
    records = list(_fetch(RiskAcceptance, id=pk))
    for record in records:
        record._history_m2m_fields = []  # see _decision_link_changes
    linked, labels = _decision_link_changes(records)
    long_text = ("risk_statement", "scope", "residual_risk", "state_reason")
    entries = history_entries(records, long_text_fields=long_text, label=lambda r: "Acceptance")
    # Add "linked decisions" changes between consecutive acceptance records.
    previous = None
    for entry in reversed(entries):
        now_ids = linked.get(entry.record.history_id, set())
        if previous is not None and now_ids != previous:
            entry.changes.append(
                FieldChange(
                    "decisions",
                    "Linked decisions",
                    ", ".join(sorted(labels.get(i, f"#{i}") for i in previous)) or "—",
                    ", ".join(sorted(labels.get(i, f"#{i}") for i in now_ids)) or "—",
                )
            )
        previous = now_ids
    mitigations = history_entries(
        _fetch(Mitigation, acceptance_id=pk).select_related("owner"),
        long_text_fields=("description",),
        label=lambda r: f"Mitigation {r.position + 1}",
    )
    signatories = history_entries(
        _fetch(RequiredSignatory, acceptance_id=pk).select_related("user"),
        label=lambda r: f"Signatory {r.user.printed_name if r.user else r.user_id} ({r.meaning})",
    )
    signatures = history_entries(
        _fetch(Signature, acceptance_id=pk),
        label=lambda r: f"Signature of {r.printed_name} ({r.meaning})",
    )
    for entry in mitigations:
        r = entry.record
        entry.snapshot = [
            ("Description", r.description),
            ("Status", Mitigation.Status(r.status).label if r.status else ""),
            ("Owner", r.owner.printed_name if r.owner else "—"),
            ("Due", r.due_on or "—"),
        ]
    for entry in signatures:
        r = entry.record
        entry.snapshot = [
            (
                "Decision",
                Signature.Verdict(r.verdict).label + (f": {r.reason}" if r.reason else ""),
            ),
            ("Signed at", r.signed_at),
            ("Content digest", r.content_digest),
            ("Round", r.signing_round),
        ]
    _name_users(entries + mitigations)
    groups = [entries, mitigations, signatories, signatures]
    return sorted(chain.from_iterable(groups), key=lambda e: e.when, reverse=True)


USER_FIELDS = {"owner", "submitted_by", "created_by"}


def _name_users(entries: list[HistoryEntry]) -> None:
    """Show people, not ids, in user-field changes (one query for all of them)."""
    wanted = {
        value
        for entry in entries
        for change in entry.changes
        if change.field in USER_FIELDS
        for value in (change.old, change.new)
        if value
    }
    if not wanted:
        return
    names = {u.pk: u.printed_name for u in get_user_model().objects.filter(pk__in=wanted)}
    for entry in entries:
        for change in entry.changes:
            if change.field in USER_FIELDS:
                change.old = names.get(change.old, change.old)
                change.new = names.get(change.new, change.new)
