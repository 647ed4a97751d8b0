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

        for registry, hook in (
            (hooks.SUBMIT_CHECKS, checks.submit_check),
            (hooks.ACCEPTANCE_SAVED, checks.recheck_after_edit),
        ):
            if hook not in registry:
                registry.append(hook)  # TODO(merge): Registry.register once risks' hooks are typed
        inbox.register(ReviewsDue())
