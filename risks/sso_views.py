"""The signing round trip for SSO users (risks.sso_signing holds the rules).

`sign_start` (POST from the sign page): checks the signer may sign, then sends them to
the provider with `prompt=login` and `max_age=0`, the verdict, reason and digest kept
server-side under the round trip's state. `sign_callback`: validates and signs, or
records the refusal and says so on the sign page. Nothing here signs by itself.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.accounts.client_ip import client_ip
from config.accounts.oidc import (
    OidcRefused,
    begin,
    finish,
    oidc_config_or_404,
    oidc_refusal_record,
)
from config.accounts.oidc_users import linked_identity
from config.errors import error_messages

from . import permissions, selectors
from .models import RiskAcceptance, Signature
from .sso_signing import acceptance_sign_sso, check_verdict, sign_nonce

if TYPE_CHECKING:
    from config.accounts.requests import AuthenticatedHttpRequest

PURPOSE = "sign"


class SsoSignForm(forms.Form):
    verdict = forms.ChoiceField(choices=Signature.Verdict.choices)
    reason = forms.CharField(required=False)
    digest = forms.CharField()


@never_cache
@require_POST
def sign_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    config = oidc_config_or_404()
    acceptance = selectors.acceptance_get(user=request.user, pk=pk, signatory_reads=True)
    permissions.require_can_sign(request.user, acceptance)
    user_id = request.user.pk
    if linked_identity(request.user) is None or user_id is None:
        raise PermissionDenied("You sign with your password on the signing page.")
    form = SsoSignForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose approve or decline.")
        data = form.cleaned_data
        check_verdict(verdict=data["verdict"], reason=data["reason"])
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
        return redirect("risks:sign", pk=acceptance.pk)
    salt = secrets.token_urlsafe(16)
    binding = {
        "user": user_id,
        "acceptance": acceptance.pk,
        "digest": data["digest"],
        "verdict": data["verdict"],
        "reason": data["reason"],
        "salt": salt,
    }
    nonce = sign_nonce(
        salt=salt, user_id=user_id, acceptance_id=acceptance.pk, digest=data["digest"]
    )
    url = begin(
        request,
        config=config,
        purpose=PURPOSE,
        redirect_uri=request.build_absolute_uri(reverse("risks:sign-sso-callback")),
        binding=binding,
        nonce=nonce,
        extra={"prompt": "login", "max_age": 0},
    )
    return redirect(url)


@never_cache
@require_GET
def sign_callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    config = oidc_config_or_404()
    entry: dict = {}
    try:
        claims, entry = finish(request, config=config, purpose=PURPOSE)
        binding = entry["binding"]
        acceptance = get_object_or_404(RiskAcceptance, pk=binding["acceptance"])
        signature = acceptance_sign_sso(
            actor=request.user,
            acceptance=acceptance,
            claims=claims,
            binding=binding,
            started_at=entry["started_at"],
        )
    except OidcRefused as refused:
        binding = (refused.pending or entry).get("binding", {})
        oidc_refusal_record(
            purpose=PURPOSE,
            refused=refused,
            user=request.user,
            context={k: binding[k] for k in ("acceptance", "digest") if k in binding},
            ip_address=client_ip(request),
        )
        messages.error(request, "The sign-in at the provider was refused. Nothing was signed.")
        if "acceptance" in binding:
            return redirect("risks:sign", pk=binding["acceptance"])
        return redirect("risks:index")
    except (ValidationError, PermissionDenied) as exc:
        text = error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]
        for message in text:
            messages.error(request, message)
        return redirect("risks:sign", pk=entry["binding"]["acceptance"])
    verb = "signed" if signature.verdict == Signature.Verdict.APPROVE else "declined"
    messages.success(request, f"You {verb} “{acceptance.title}” (signed in at the provider).")
    return redirect("risks:sign", pk=acceptance.pk)
