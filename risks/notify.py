"""The emails (and so in-app notifications) the acceptance workflow sends: who hears of
what is decided by the roles ``config.notifications.table`` names for each event, never
the actor. Later apps add to the emails' context through ``hooks.EMAIL_CONTEXT``."""

from __future__ import annotations

from collections.abc import Iterable

from config.notifications.services import notify_users
from config.notifications.table import audience

from . import hooks
from .models import RequiredSignatory, RiskAcceptance, Signature
from .workflow import S, awaited_users


def email_context(acceptance: RiskAcceptance, *, template: str, **extra) -> dict:
    context = {
        "acceptance": acceptance,
        "url": acceptance.get_absolute_url(),
        "sign_url": f"{acceptance.get_absolute_url()}sign/",
        "round": acceptance.signing_round,
        **extra,
    }
    for contributor in hooks.EMAIL_CONTEXT:
        context |= contributor(template=template, acceptance=acceptance)
    return context


def _authors(acceptance: RiskAcceptance) -> list:
    """Who wrote the document: who drafted it and who submitted it (often one person)."""
    return [acceptance.created_by, acceptance.submitted_by]


def _signatories(acceptance: RiskAcceptance) -> list:
    lines = RequiredSignatory.objects.filter(acceptance=acceptance).select_related("user")
    return [line.user for line in lines.order_by("position", "id")]


def _voided_approvers(acceptance: RiskAcceptance) -> list:
    """Signatories whose approval of this round is void: a decline voided it (an edit
    starts a new round, so in-round void approvals are the decline's doing)."""
    voided = Signature.objects.filter(
        acceptance=acceptance,
        signing_round=acceptance.signing_round,
        verdict=Signature.Verdict.APPROVE,
        void=True,
    ).select_related("user")
    return [s.user for s in voided.order_by("id")]


def notify_signatories(
    acceptance: RiskAcceptance, users: Iterable, kind: str, *, actor=None
) -> None:
    """kind: requested | rerequested | withdrawn (no longer needed)."""
    users = list(users)
    event = f"signature.{kind}"
    hearing = audience(event, actor=actor, signatories=users, awaited=users)
    if not hearing:
        return
    notify_users(
        users=hearing,
        event=event,
        key=f"risks:{acceptance.pk}:round{acceptance.signing_round}:signature-{kind}",
        template=f"risk-signature-{kind}",
        context=email_context(acceptance, template=f"risk-signature-{kind}"),
        about=acceptance,
    )


def notify_signature_outcome(acceptance: RiskAcceptance, signature: Signature) -> None:
    """After ``signature``: a decline (owner, author, voided approvers), the last approval
    (accepted: owner, author, every signatory) or another approval (owner)."""
    if signature.verdict == Signature.Verdict.DECLINE:
        kind = "declined"
    elif acceptance.state == S.ACCEPTED:
        kind = "accepted"
    else:
        kind = "signed"
    event = f"acceptance.{kind}"
    hearing = audience(
        event,
        actor=signature.user,
        owner=[acceptance.owner],
        author=_authors(acceptance),
        signatories=_signatories(acceptance) if kind == "accepted" else [],
        voided=_voided_approvers(acceptance) if kind == "declined" else [],
    )
    if not hearing:
        return
    notify_users(
        users=hearing,
        event=event,
        key=f"risks:{acceptance.pk}:signature{signature.pk}:{kind}",
        template=f"risk-{kind}",
        context=email_context(acceptance, template=f"risk-{kind}", signature=signature),
        about=acceptance,
    )


def notify_list_change(acceptance: RiskAcceptance, *, before: dict, after: dict, actor) -> None:
    """After an edit that voided the signatures (users by id, before and after): those
    still named are asked again, new ones asked, removed ones told they are not needed."""
    notify_signatories(
        acceptance, [u for pk, u in after.items() if pk in before], "rerequested", actor=actor
    )
    notify_signatories(
        acceptance, [u for pk, u in after.items() if pk not in before], "requested", actor=actor
    )
    notify_signatories(
        acceptance, [u for pk, u in before.items() if pk not in after], "withdrawn", actor=actor
    )


def leave_awaiting(acceptance: RiskAcceptance) -> None:
    """Signatories still awaited when the document stops awaiting hear they are not needed."""
    if acceptance.state == S.AWAITING:
        notify_signatories(acceptance, awaited_users(acceptance), "withdrawn")
