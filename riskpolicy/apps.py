from django.apps import AppConfig


class RiskPolicyConfig(AppConfig):
    name = "riskpolicy"
    verbose_name = "Risk policy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config import inbox
        from risks import hooks

        from . import checks
        from .inbox import ReviewsDue

        hooks.SUBMIT_CHECKS.register(checks.submit_check)
        hooks.ACCEPTANCE_SAVED.register(checks.recheck_after_edit)
        inbox.register(ReviewsDue())
