"""Sign-in by OpenID Connect: start (redirect to the provider) and callback.

Both live under /accounts/login/, which anonymous visitors may reach. A refused
callback is recorded (`OidcRefusal`, admin) and the login page says so; it signs
nobody in. 404 when single sign-on is not configured.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .client_ip import client_ip
from .oidc import OidcRefused, begin, finish, oidc_config_or_404, oidc_refusal_record
from .oidc_users import oidc_user_for_claims

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


@never_cache
@require_GET
def sso_login(request: HttpRequest) -> HttpResponse:
    config = oidc_config_or_404()
    url = begin(
        request,
        config=config,
        purpose="login",
        redirect_uri=request.build_absolute_uri(reverse("accounts:sso-callback")),
        binding={"next": _safe_next(request, request.GET.get("next", ""))},
    )
    return redirect(url)


@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    config = oidc_config_or_404()
    try:
        claims, entry = finish(request, config=config, purpose="login")
        user = oidc_user_for_claims(config=config, claims=claims, issuer=claims["iss"])
        if not user.is_active:
            raise OidcRefused("inactive", f"user {user.pk} is deactivated", entry)
    except OidcRefused as refused:
        oidc_refusal_record(purpose="login", refused=refused, ip_address=client_ip(request))
        messages.error(request, "Single sign-on was refused; you are not signed in.")
        return redirect("accounts:login")
    login(request, user, backend=BACKEND)
    return redirect(_safe_next(request, entry["binding"].get("next", "")))
