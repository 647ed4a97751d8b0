from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Decision review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from adr.status_checks import STATUS_CHECKS
        from config import inbox

        from . import inbox as review_inbox
        from .rules import acceptance_check

        STATUS_CHECKS.register(acceptance_check)
        inbox.register(review_inbox.ReviewsRequested())
