"""Pages of the decision log. Thin: read through selectors, write through services.

Services raise PermissionDenied (→ the 403 page) and ValidationError (→ the form
again with the message inline). Every write page checks the architect role up
front too, so a stakeholder gets a clear 403 rather than a form they cannot submit.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config import search
from config.accounts.roles import require_reader
from config.changesets import group_change_sets
from config.concurrency import (
    ConflictError,
    conflict_for,
    loaded_instance,
    parse_version,
    rebase_untouched,
    with_version,
)
from config.errors import add_to_form
from config.markup import safe_markdown
from config.pagination import LIST_CAP, CappedPaginator

from . import panels, selectors, services
from .access import (
    can_write_log,
    readable_logs,
    require_log_writer,
    writable_logs,
)
from .editor import DecisionEditor
from .forms import MAX_MARKDOWN, DecisionForm, LogForm, StatusForm
from .models import Decision, DecisionLog, Tag
from .panels import LOG_ACTIONS
from .search import decision_hits
from .versions import decision_versions


def _get_decision(request, key: str, number: int, *, brief: bool = False) -> Decision:
    get = selectors.decision_get_brief if brief else selectors.decision_get
    try:
        return get(user=request.user, key=key, number=number)
    except Decision.DoesNotExist:
        raise Http404("No such decision.") from None


def _get_log(request, key: str) -> DecisionLog:
    try:
        return selectors.log_get(user=request.user, key=key)
    except DecisionLog.DoesNotExist:
        raise Http404("No such log.") from None


# --- Logs ---------------------------------------------------------------------------


def log_list(request):
    page = Paginator(selectors.log_list(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "adr/log_list.html", {"logs": page, "page": page, "nav": "logs"})


def log_detail(request, key: str):
    log = _get_log(request, key)
    decisions = selectors.decision_list(user=request.user, log_key=log.key)
    page = CappedPaginator(decisions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "adr/log_detail.html",
        {"log": log, "decisions": page, "page": page, "nav": "logs", "log_actions": LOG_ACTIONS},
    )


@require_http_methods(["GET", "POST"])
def log_edit(request, key: str | None = None):
    log = _get_log(request, key) if key else None
    require_log_writer(request.user, log)
    form = LogForm(request.POST or None, instance=log, user=request.user)
    version = log.version if log else None
    if request.method == "POST" and log is not None:
        version = parse_version(request.POST.get("version")) or version
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if log is None:
                log = services.log_create(
                    actor=request.user,
                    key=data["key"],
                    name=data["name"],
                    description=data["description"],
                    team=data["team"],
                    private=data["private"],
                )
            else:
                log = services.log_update(
                    actor=request.user,
                    log=log,
                    name=data["name"],
                    description=data["description"],
                    team=data["team"],
                    private=data["private"],
                    expected_version=version,
                )
        except ConflictError as error:
            # Only an update checks a version: the log exists and came from the URL.
            assert log is not None and key is not None
            # Their input stays in the form; saving again applies it on top.
            conflict = conflict_for(error, selectors.log_history(user=request.user, log=log))
            version, status = error.current, 409
            data = request.POST
            loaded = loaded_instance(error)
            if loaded is not None:
                log = _get_log(request, key)
                data = rebase_untouched(
                    data,
                    loaded_form=LogForm(instance=loaded, user=request.user),
                    current_form=LogForm(instance=log, user=request.user),
                    conflict=conflict,
                )
            form.data = with_version(data, error.current)
        except ValidationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, f"Log {log.key} saved.")
            return redirect(log)
    return render(
        request,
        "adr/log_form.html",
        {"form": form, "log": log, "version": version, "conflict": conflict, "nav": "logs"},
        status=status,
    )


# --- Decisions ----------------------------------------------------------------------


def _param(request, name: str, limit: int) -> str | None:
    """A query parameter as a short clean string (PostgreSQL refuses NUL characters)."""
    return (request.GET.get(name) or "").replace("\x00", "").strip()[:limit] or None


def decision_list(request):
    statuses = dict(Decision.Status.choices)
    status = request.GET.get("status") or None
    params = {
        "log_key": _param(request, "log", 12),
        "status": status if status in statuses else None,
        "tag": _param(request, "tag", 50),
        "q": _param(request, "q", 200),
    }
    review = request.GET.get("review") == "1"
    qs = selectors.decision_list(user=request.user, needs_review=True if review else None, **params)
    # A search holds its best CANDIDATES matches (config.search): "more than" past that.
    cap = search.CANDIDATES if params["q"] else LIST_CAP
    page = CappedPaginator(qs, 50, cap=cap).get_page(request.GET.get("page"))
    if params["q"]:
        for decision, hit in zip(page, decision_hits(list(page), query=params["q"]), strict=True):
            decision.search_hit = hit
    return render(
        request,
        "adr/decision_list.html",
        {
            "page": page,
            "params": params,
            "review": review,
            "filtered": any(params.values()) or review,
            "statuses": Decision.Status.choices,
            "logs": readable_logs(request.user).order_by("name"),
            "tags": Tag.objects.order_by("name"),
            "nav": "decisions",
        },
    )


def _detail_context(request, decision: Decision, status_form: StatusForm | None = None):
    can_write = can_write_log(request.user, decision.log)
    if can_write and status_form is None:
        status_form = StatusForm(decision=decision)
    return {
        "d": decision,
        "matrix": selectors.decision_matrix(decision),
        "can_write": can_write,
        "status_form": status_form if can_write else None,
        "relations_out": list(decision.relations_out.all()),
        "relations_in": list(decision.relations_in.all()),
        # What later apps add to the page (adr/panels.py).
        "related_slot": panels.DECISION_RELATED,
        "sections_slot": panels.DECISION_SECTIONS,
        "note_slot": panels.SENSITIVITY_NOTE_BADGES,
        "related_heading": panels.related_heading(),
        "tab": "decision",
        "nav": "decisions",
    }


def decision_detail(request, key: str, number: int):
    decision = _get_decision(request, key, number)
    return render(request, "adr/decision_detail.html", _detail_context(request, decision))


def decision_history(request, key: str, number: int):
    decision = _get_decision(request, key, number, brief=True)
    entries = selectors.decision_history(user=request.user, decision=decision)
    page = Paginator(group_change_sets(entries), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "adr/decision_history.html",
        {
            "d": decision,
            "change_sets": page,
            "page": page,
            "versions": decision_versions(user=request.user, decision=decision),
            "tab": "history",
            "nav": "decisions",
        },
    )


@require_POST
def decision_status(request, key: str, number: int):
    decision = _get_decision(request, key, number)
    require_log_writer(request.user, decision.log)
    form = StatusForm(request.POST, decision=decision)
    if form.is_valid():
        try:
            services.decision_change_status(
                actor=request.user,
                decision=decision,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                revisit_by=form.cleaned_data["revisit_by"],
                expected_version=parse_version(request.POST.get("version")),
            )
        except ValidationError as error:  # a ConflictError too: its message says what to do
            add_to_form(form, error)
        else:
            decision.refresh_from_db(fields=["status"])
            messages.success(
                request, f"{decision.reference} is now {decision.get_status_display().lower()}."
            )
            return redirect(decision)
    decision = _get_decision(request, key, number)  # unchanged: the transaction rolled back
    return render(
        request,
        "adr/decision_detail.html",
        _detail_context(request, decision, status_form=form),
        status=400,
    )


@require_POST
def decision_reviewed(request, key: str, number: int):
    decision = _get_decision(request, key, number, brief=True)
    require_log_writer(request.user, decision.log)
    reason = (request.POST.get("reason") or "").strip()[:100] or "reviewed"
    if "\x00" in reason:  # PostgreSQL text cannot hold it: a 400, not a 500
        raise BadRequest("NUL characters are not allowed in the reason.")
    services.decision_clear_review(actor=request.user, decision=decision, reason=reason)
    messages.success(request, f"{decision.reference} marked as reviewed.")
    return redirect(decision)


@require_http_methods(["GET", "POST"])
def decision_edit(request, key: str | None = None, number: int | None = None):
    """Create (no key) or edit a decision with its options, matrix, notes and relations."""
    # The edit route gives both key and number, the create route neither.
    decision = _get_decision(request, key, number) if key and number is not None else None
    require_log_writer(request.user, decision.log if decision else None)
    log = None
    if decision is None and request.GET.get("log"):
        wanted = request.GET["log"].strip().upper()[:12]
        log = writable_logs(request.user).filter(key=wanted).first()
    if decision is None and not DecisionLog.objects.exists():
        messages.info(request, "Create a decision log first.")
        return redirect("adr:log-create")
    data = request.POST if request.method == "POST" else None
    editor = DecisionEditor(decision=decision, data=data, log=log, user=request.user)
    status = 200
    conflict = None
    # The version this page was loaded at travels with the form (a hidden field).
    version = decision.version if decision else None
    if request.method == "POST" and decision is not None:
        version = parse_version(request.POST.get("version")) or version
    if request.method == "POST":
        # One submit, one save: rows were added and removed in the page (editor.js).
        if editor.is_valid():
            try:
                saved = services.decision_save_full(
                    actor=request.user,
                    decision=decision,
                    expected_version=version,
                    **editor.service_kwargs(),
                )
            except ConflictError as error:
                # Only an existing decision (the edit route's key and number) has a version.
                assert decision is not None and key is not None and number is not None
                # Nothing saved: show what changed since, keep what they typed; a second
                # save (after reading the changes) applies their input on top.
                entries = selectors.decision_history(user=request.user, decision=decision)
                conflict = conflict_for(error, entries)
                version = error.current
                status = 409
                decision = _get_decision(request, key, number)
                loaded = loaded_instance(error)
                if loaded is not None:
                    data = rebase_untouched(
                        request.POST,
                        loaded_form=DecisionForm(instance=loaded),
                        current_form=DecisionForm(instance=decision),
                        conflict=conflict,
                    )
                    editor = DecisionEditor(
                        decision=decision, data=data, log=log, user=request.user
                    )
                    editor.is_valid()
            except ValidationError as error:
                editor.add_error(error)
            else:
                verb = "created" if decision is None else "saved"
                messages.success(request, f"{saved.reference} {verb}.")
                return redirect(saved)
        status = status if conflict else 400
    return render(
        request,
        "adr/decision_form.html",
        {
            "editor": editor,
            "d": decision,
            "version": version,
            "conflict": conflict,
            "nav": "decisions",
        },
        status=status,
    )


@require_POST
def markdown_preview(request):
    """htmx: the sanitised HTML of the Markdown field posted (the first non-token value)."""
    require_reader(request.user)
    if not can_write_log(request.user, None):
        raise PermissionDenied("Only architects edit decisions.")
    values = [v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"]
    text = values[0] if values else ""
    if len(text) > MAX_MARKDOWN:
        return HttpResponseBadRequest(f"Too long to preview (at most {MAX_MARKDOWN} characters).")
    html = safe_markdown(text) or "<p class='muted'>Nothing to preview.</p>"
    return HttpResponse(html)
