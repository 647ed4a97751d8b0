"""REST API for decision logs, decisions, options and relations (config/api_urls.py calls
`register`). Reads are nested (options, matrix, sensitivity notes, relations); every write
goes through `adr.services`, so the API keeps exactly the web UI's rules and history.

Permissions mirror the web UI: a role (or staff) reads, architects write, a user without
a role gets 403 (config/api/permissions.py). A service's ValidationError or
PermissionDenied becomes the API's 400 or 403 in config.api.errors.api_exception_handler.

What lives where: ``serializers`` (what is read and written, and the list filters,
which apply the page's selector ``selectors.decision_filter``), ``views`` (the
viewsets; a decision is created and edited through ``services.decision_save_full``).
"""

from .views import (
    CriterionViewSet,
    DecisionViewSet,
    LogViewSet,
    OptionViewSet,
    RelationViewSet,
    SensitivityNoteViewSet,
)


def register(router) -> None:
    router.register("logs", LogViewSet, basename="log")
    router.register("decisions", DecisionViewSet, basename="decision")
    router.register("options", OptionViewSet, basename="option")
    router.register("relations", RelationViewSet, basename="relation")
    router.register("criteria", CriterionViewSet, basename="criterion")
    router.register("sensitivity-notes", SensitivityNoteViewSet, basename="sensitivity-note")
