from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = "Comments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Wiring only: the thread is a section of the decision and acceptance pages.
        from operator import attrgetter

        from adr.panels import DECISION_SECTIONS
        from config import readers
        from config.panels import Panel
        from risks.hooks import ACCEPTANCE_PANELS

        from .views import panel_extra

        panel = Panel(
            key="comments",
            title="Comments",
            template="comments/_panel.html",
            extra=panel_extra,
            order=50,
        )
        DECISION_SECTIONS.register(panel)
        ACCEPTANCE_PANELS.register(panel)
        # Emails about a comment go to whoever reads its document (config.readers).
        readers.register(self.get_model("Comment"), readers.Following(attrgetter("document")))
