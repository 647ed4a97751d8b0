from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "config.notifications"
    label = "notifications"
    verbose_name = "Email outbox"
