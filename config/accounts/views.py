from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .models import ApiToken


@never_cache
def profile(request):
    """Profile and API tokens. A new token is shown once, in this response only."""
    context = {"new_token": None, "errors": []}
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
