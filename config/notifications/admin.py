"""The outbox in the admin: read-only (the outbox page and the tasks change it)."""

from django.contrib import admin

from config.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event", "recipient", "state", "attempts", "sent_at")
    list_filter = ("state", "event")
    search_fields = ("recipient", "subject", "dedupe_key")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
