from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Decision review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from operator import attrgetter

        from adr.panels import DECISION_SECTIONS
        from adr.status_checks import STATUS_CHECKS
        from config import inbox, readers
        from config.panels import Panel

        from . import inbox as review_inbox
        from .rules import acceptance_check
        from .views import panel_extra

        STATUS_CHECKS.register(acceptance_check)
        for model in ("ReviewRequest", "Review"):  # emails: the decision's readers
            readers.register(self.get_model(model), readers.Following(attrgetter("decision")))
        inbox.register(review_inbox.ReviewsRequested())
        DECISION_SECTIONS.register(
            Panel(
                key="review",
                title="Review",
                template="reviews/_panel.html",
                extra=panel_extra,
                order=40,
            )
        )
