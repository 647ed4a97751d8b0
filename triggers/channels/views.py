"""A log's channels page: add (secret shown once), test, disable/enable; staff send a
failed delivery again from the outbox. Thin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from adr.access import readable_logs
from adr.models import DecisionLog
from config.accounts.roles import require_reader
from config.concurrency import ConflictError, parse_version
from config.errors import add_to_form, error_messages

from . import selectors, services
from .forms import ChannelForm
from .models import Channel, ChannelDelivery

if TYPE_CHECKING:
    from config.accounts.requests import AuthenticatedHttpRequest


def _log(request: AuthenticatedHttpRequest, key: str) -> DecisionLog:
    require_reader(request.user)
    log = get_object_or_404(readable_logs(request.user), key=key.upper())
    services.require_manager(request.user, log)
    return log


def log_channels(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    log = _log(request, key)
    form = ChannelForm(request.POST or None, triggers=selectors.log_triggers(log=log))
    secret = created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.channel_create(
                actor=request.user, log=log, **form.cleaned_data
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"Channel “{created.name}” added.")
            form = ChannelForm(triggers=selectors.log_triggers(log=log))
    return render(
        request,
        "channels/log_channels.html",
        {
            "log": log,
            "channels": selectors.log_channels(log=log),
            "form": form,
            "created": created,
            "secret": secret,  # shown once, in this response only
        },
        status=422 if form.errors else 200,
    )


def _channel(request: AuthenticatedHttpRequest, key: str, pk: int) -> Channel:
    log = _log(request, key)
    return get_object_or_404(Channel.objects.select_related("log"), pk=pk, log=log)


@require_POST
def channel_test(request: AuthenticatedHttpRequest, key: str, pk: int) -> HttpResponse:
    channel = _channel(request, key, pk)
    try:
        answer = services.channel_test(actor=request.user, channel=channel)
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, f"Test of “{channel.name}” failed: {message}")
    else:
        messages.success(request, f"Test of “{channel.name}” sent. {answer}")
    return redirect("channels:log", key=channel.log.key)


@require_POST
def channel_active(request: AuthenticatedHttpRequest, key: str, pk: int) -> HttpResponse:
    channel = _channel(request, key, pk)
    active = request.POST.get("active") == "1"
    try:
        services.channel_set_active(
            actor=request.user,
            channel=channel,
            active=active,
            version=parse_version(request.POST.get("version")),
        )
    except ConflictError:
        messages.error(request, f"“{channel.name}” was changed meanwhile; try again.")
    else:
        messages.success(request, f"“{channel.name}” {'enabled' if active else 'disabled'}.")
    return redirect("channels:log", key=channel.log.key)


@require_POST
def delivery_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The staff outbox's "Send again" on a failed or uncertain delivery."""
    if not services.can_resend(request.user):
        raise PermissionDenied("Only staff can send a channel delivery again.")
    delivery = get_object_or_404(ChannelDelivery.objects.select_related("channel"), pk=pk)
    what = f"Delivery #{delivery.pk} to “{delivery.channel.name}”"
    try:
        services.delivery_resend(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, f"{what} not sent again: {message}")
    else:
        messages.success(request, f"{what} queued to send again.")
    return redirect("notifications:outbox")  # the message shows at the top
