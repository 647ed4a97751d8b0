"""Risk acceptance pages. Thin: services decide, views translate errors into forms/403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.accounts.roles import can_read, require_reader
from config.changesets import group_change_sets
from config.concurrency import (
    ConflictError,
    conflict_for,
    loaded_instance,
    parse_version,
    rebase_untouched,
)
from config.errors import add_to_form, error_messages
from config.pagination import CappedPaginator

from . import permissions, selectors, services, signing, workflow
from .access import may_draft
from .forms import (
    AcceptanceForm,
    MitigationFormSet,
    SignatoryFormSet,
    SignForm,
    formset_rows,
)
from .hooks import ACCEPTANCE_PANELS
from .models import RiskAcceptance
from .signed_rounds import print_sections, signing_rounds
from .versions import acceptance_versions

NAV = "risks"


def acceptance_list(request):
    params = {
        "state": request.GET.get("state") or None,
        "owner": request.GET.get("owner") or None,
        "mine": request.GET.get("mine") == "1",
    }
    if params["state"] not in (None, *RiskAcceptance.State.values):
        params["state"] = None
    qs = selectors.acceptance_list(user=request.user, **params)
    page = CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    owners = get_user_model().objects.filter(owned_acceptances__isnull=False).distinct()
    return render(
        request,
        "risks/list.html",
        {
            "page": page,
            "params": params,
            "states": RiskAcceptance.State.choices,
            "owners": owners,
            "can_create": may_draft(request.user),
            "nav": NAV,
        },
    )


def _document_context(acceptance: RiskAcceptance) -> dict:
    return {
        "a": acceptance,
        "digest": signing.acceptance_digest(acceptance),
        "panel": selectors.signature_panel(acceptance),
        "signing_open": workflow.allows(acceptance.state, workflow.Action.APPROVE),
        "nav": NAV,
    }


def acceptance_detail(request, pk: int):
    acceptance = selectors.acceptance_get(user=request.user, pk=pk)
    ctx = _document_context(acceptance)
    actions = permissions.allowed_actions(user=request.user, acceptance=acceptance)
    ctx.update(
        {
            "tab": "document",
            # What the page offers is what the workflow allows this user (risks.workflow).
            "actions": actions,
            "problems": workflow.submit_problems(acceptance, actor=request.user)
            if workflow.Action.SUBMIT in actions
            else [],
            "panels": ACCEPTANCE_PANELS,
        }
    )
    return render(request, "risks/detail.html", ctx)


def acceptance_history(request, pk: int):
    acceptance = selectors.acceptance_readable(user=request.user, pk=pk)
    entries = selectors.acceptance_history(user=request.user, acceptance=acceptance)
    return render(
        request,
        "risks/history.html",
        {
            "a": acceptance,
            "entries": entries,
            "change_sets": group_change_sets(entries),
            "versions": acceptance_versions(user=request.user, acceptance=acceptance),
            "rounds": signing_rounds(acceptance),
            "tab": "history",
            "nav": NAV,
        },
    )


def acceptance_print(request, pk: int):
    acceptance = selectors.acceptance_get(user=request.user, pk=pk)
    ctx = _document_context(acceptance)
    ctx.update(print_sections(acceptance))
    return render(request, "risks/print.html", ctx)


def _mitigation_initial(acceptance):
    return [
        {
            "id": m.pk,
            "description": m.description,
            "status": m.status,
            "owner": m.owner_id,
            "due_on": m.due_on,
        }
        for m in acceptance.mitigations.all()
    ]


def _signatory_initial(acceptance):
    return [{"user": s.user_id, "meaning": s.meaning} for s in acceptance.signatories.all()]


def _edit_page(request, acceptance: RiskAcceptance | None):
    if acceptance is None:
        if not may_draft(request.user):
            raise PermissionDenied("Only architects draft risk acceptances.")
    else:
        if not permissions.can_edit(request.user, acceptance):
            raise PermissionDenied("Only the accountable owner or an architect can edit this.")
        if not workflow.allows(acceptance.state, workflow.Action.EDIT):
            messages.error(request, "This acceptance can no longer be edited.")
            return redirect(acceptance)
    errors: list[str] = []
    conflict, status = None, 200
    # The version the page was loaded at travels with the form (a hidden field).
    version = acceptance.version if acceptance else None
    if request.method == "POST" and acceptance is not None:
        version = parse_version(request.POST.get("version")) or version
    if request.method == "POST":
        form = AcceptanceForm(request.POST, instance=None, user=request.user, acceptance=acceptance)
        mitigations = MitigationFormSet(request.POST, prefix="m")
        signatories = SignatoryFormSet(request.POST, prefix="s")
        if form.is_valid() and mitigations.is_valid() and signatories.is_valid():
            fields = dict(form.cleaned_data)
            decisions = list(fields.pop("decisions"))
            reason = (request.POST.get("change_reason") or "").strip()
            try:
                if acceptance is None:
                    acceptance = services.acceptance_create(
                        actor=request.user,
                        decisions=decisions,
                        mitigations=formset_rows(mitigations),
                        signatories=formset_rows(signatories),
                        **fields,
                    )
                    messages.success(request, "Draft saved.")
                else:
                    services.acceptance_update(
                        actor=request.user,
                        acceptance=acceptance,
                        decisions=decisions,
                        mitigations=formset_rows(mitigations),
                        signatories=formset_rows(signatories),
                        reason=reason or "edited",
                        expected_version=version,
                        **fields,
                    )
                    messages.success(request, "Saved.")
                return redirect(acceptance)
            except ConflictError as exc:
                if acceptance is None:  # only an update can conflict
                    raise
                # Nothing saved; their input stays in the form, saving again applies it.
                entries = selectors.acceptance_history(user=request.user, acceptance=acceptance)
                conflict = conflict_for(exc, entries)
                version, status = exc.current, 409
                loaded = loaded_instance(exc)
                if loaded is not None:
                    acceptance = selectors.acceptance_get(user=request.user, pk=acceptance.pk)
                    data = rebase_untouched(
                        request.POST,
                        loaded_form=AcceptanceForm(
                            instance=loaded, user=request.user, acceptance=acceptance
                        ),
                        current_form=AcceptanceForm(
                            instance=acceptance, user=request.user, acceptance=acceptance
                        ),
                        conflict=conflict,
                    )
                    form = AcceptanceForm(
                        data, instance=None, user=request.user, acceptance=acceptance
                    )
                    form.is_valid()
            except ValidationError as exc:
                errors = error_messages(exc)
    elif acceptance is None:
        form = AcceptanceForm(initial={"owner": request.user.pk}, user=request.user)
        mitigations = MitigationFormSet(prefix="m")
        signatories = SignatoryFormSet(prefix="s", initial=[])
    else:
        form = AcceptanceForm(
            instance=acceptance,
            user=request.user,
            acceptance=acceptance,
            initial={"decisions": [d.pk for d in acceptance.decisions.all()]},
        )
        mitigations = MitigationFormSet(prefix="m", initial=_mitigation_initial(acceptance))
        signatories = SignatoryFormSet(prefix="s", initial=_signatory_initial(acceptance))
    return render(
        request,
        "risks/edit.html",
        {
            "a": acceptance,
            "form": form,
            "mitigations": mitigations,
            "signatories": signatories,
            "errors": errors,
            "voids": acceptance is not None and acceptance.state != RiskAcceptance.State.DRAFT,
            "version": version,
            "conflict": conflict,
            "nav": NAV,
        },
        status=status,
    )


def acceptance_create(request):
    require_reader(request.user)
    return _edit_page(request, None)


def acceptance_edit(request, pk: int):
    acceptance = selectors.acceptance_get(user=request.user, pk=pk)
    return _edit_page(request, acceptance)


@require_POST
def acceptance_submit(request, pk: int):
    acceptance = selectors.acceptance_readable(user=request.user, pk=pk)
    try:
        services.acceptance_submit(actor=request.user, acceptance=acceptance)
        messages.success(request, "Submitted: each signatory has been asked to sign.")
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    return redirect(acceptance)


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@never_cache
def acceptance_sign(request, pk: int):
    """The signing page. A GET only shows; a POST with the password signs.

    Reached only with a logged-in session (the login middleware redirects anything
    else, API tokens included), and the password is re-entered here every time.
    """
    acceptance = selectors.acceptance_get(user=request.user, pk=pk, signatory_reads=True)
    line = permissions.require_can_sign(request.user, acceptance)
    errors: list[str] = []
    if request.method == "POST":
        form = SignForm(request.POST)
        if form.is_valid():
            try:
                signature = services.acceptance_sign(
                    actor=request.user,
                    acceptance=acceptance,
                    password=form.cleaned_data["password"],
                    verdict=form.cleaned_data["verdict"],
                    reason=form.cleaned_data["reason"],
                    ip_address=_client_ip(request),
                    expected_digest=form.cleaned_data["digest"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    add_to_form(form, exc)
                else:
                    errors = error_messages(exc)
            else:
                verb = "signed" if signature.verdict == "approve" else "declined"
                messages.success(request, f"You {verb} “{acceptance.title}”.")
                if not can_read(request.user):
                    return redirect("risks:sign", pk=acceptance.pk)
                return redirect(acceptance)
    else:
        form = SignForm()
    # The digest of what is shown, computed once, after any signing (which hashes for itself).
    ctx = _document_context(acceptance)
    form.initial["digest"] = ctx["digest"]
    if request.method == "POST":
        # Always sign what is shown now; a stale digest was reported above.
        data = request.POST.copy()  # the form's data
        data["digest"] = ctx["digest"]
        data["password"] = ""
        form.data = data
    ctx.update(
        {
            "form": form,
            "line": line,
            "errors": errors,
            "locked_until": permissions.signing_locked_until(request.user),
            "actions": permissions.allowed_actions(user=request.user, acceptance=acceptance),
            "already": any(
                r["signature"] for r in ctx["panel"] if r["line"].user_id == request.user.pk
            ),
        }
    )
    return render(request, "risks/sign.html", ctx, status=400 if errors else 200)


def _reason_action(request, pk: int, action, done: str):
    acceptance = selectors.acceptance_readable(user=request.user, pk=pk)
    reason = request.POST.get("reason", "")
    if "\x00" in reason:  # PostgreSQL text cannot hold it: a 400, not a 500
        raise BadRequest("NUL characters are not allowed in the reason.")
    try:
        action(actor=request.user, acceptance=acceptance, reason=reason)
        messages.success(request, done)
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    return redirect(acceptance)


@require_POST
def acceptance_revoke(request, pk: int):
    return _reason_action(request, pk, services.acceptance_revoke, "Revoked.")


@require_POST
def acceptance_remediated(request, pk: int):
    return _reason_action(request, pk, services.acceptance_mark_remediated, "Marked remediated.")
