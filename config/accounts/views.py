from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .client_ip import client_ip
from .forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from .models import ApiToken


@never_cache
def profile(request):
    """Profile and API tokens. A new token is shown once, in this response only."""
    context: dict[str, Any] = {"new_token": None, "errors": []}
    if request.method == "POST":
        try:
            token, raw = services.api_token_create(
                user=request.user, name=request.POST.get("name", "")
            )
        except (ValidationError, PermissionDenied) as exc:
            context["errors"] = getattr(exc, "messages", [str(exc)])
        else:
            context["new_token"] = {"name": token.name, "raw": raw}
    context["tokens"] = request.user.api_tokens.order_by("-created_at")
    context["time_zones"] = services.time_zone_choices()
    context["default_time_zone"] = settings.TIME_ZONE
    status = 400 if context["errors"] else 200
    return render(request, "accounts/profile.html", context, status=status)


@require_POST
def time_zone(request):
    try:
        services.user_set_time_zone(user=request.user, time_zone=request.POST.get("time_zone", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Times are now shown in your chosen time zone.")
    return redirect("accounts:profile")


@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("accounts:profile")


# --- Passwords: Django's views, our templates, a throttle on reset emails -------------


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. Every address gets the same answer; requests are throttled
    per address (answered the same, no email) and per client (429)."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    @property
    def extra_email_context(self):  # type: ignore[override]  # read from settings per request
        return {"valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}

    def form_valid(self, form):
        verdict = services.password_reset_request_allowed(
            email=form.cleaned_data["email"], ip_address=client_ip(self.request)
        )
        if verdict is services.ResetVerdict.TOO_MANY_FROM_CLIENT:
            form.add_error(None, "Too many reset requests from here; try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if verdict is services.ResetVerdict.TOO_MANY_FOR_ADDRESS:
            return redirect(self.success_url)  # the same answer, without another email
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password-change-done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
