from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package as an app: project templates, static files, project commands."""

    name = "config"
    label = "ledger"
    verbose_name = "Decision Ledger"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import pre_delete

        from . import audit, checks  # noqa: F401  (checks registers system checks)

        # A user who acted in the ledger is never deleted (it would blank history rows).
        pre_delete.connect(
            audit.refuse_deleting_an_actor,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="ledger.refuse_deleting_an_actor",
        )
