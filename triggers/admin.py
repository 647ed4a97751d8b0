"""Admin for triggers: read-only (see `config.admin`). Trigger state changes go through
triggers.services (the pages and the API), so that every change has an actor, a reason
and its effects; evaluations, fired events and webhook deliveries are audit rows."""

from django.contrib import admin

from config.admin import ReadOnlyAdmin

from .models import Evaluation, FiredEvent, Initiative, Trigger, WebhookDelivery


@admin.register(Trigger)
class TriggerAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "state", "next_check_at", "deadline_at", "risk_acceptance")
    list_filter = ("kind", "state")
    search_fields = ("name", "description")
    exclude = ("webhook_secret",)


@admin.register(Initiative)
class InitiativeAdmin(ReadOnlyAdmin):
    list_display = ("name", "team", "status", "target_date")
    list_filter = ("status",)
    search_fields = ("name", "team")


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("trigger", "at", "outcome", "observed")
    list_filter = ("outcome",)
    list_select_related = ("trigger",)


@admin.register(FiredEvent)
class FiredEventAdmin(ReadOnlyAdmin):
    list_display = ("trigger", "fired_at", "acknowledged_at", "resolved_at")
    list_select_related = ("trigger",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("trigger", "timestamp", "received_at")
    list_select_related = ("trigger",)
