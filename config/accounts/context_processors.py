from django.utils.functional import SimpleLazyObject

from .roles import ARCHITECT, AUDITOR, STAKEHOLDER, has_role


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": {}}
    return {
        "roles": {
            "architect": has_role(user, ARCHITECT),
            "stakeholder": has_role(user, STAKEHOLDER),
            "auditor": has_role(user, AUDITOR),
            "staff": user.is_staff,
        }
    }


def oidc(request):
    """`oidc.enabled`, `oidc.provider_name`, `oidc.linked` (the user signs by SSO).

    Lazy: pages that never read it run no query for it."""

    def _read() -> dict:
        from .oidc import oidc_config
        from .oidc_users import linked_identity

        config = oidc_config()
        if config is None:
            return {"enabled": False, "provider_name": "", "linked": False}
        user = getattr(request, "user", None)
        return {
            "enabled": True,
            "provider_name": config.provider_name,
            "linked": linked_identity(user) is not None,
        }

    return {"oidc": SimpleLazyObject(_read)}
