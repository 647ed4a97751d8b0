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
