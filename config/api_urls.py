"""The REST API: /api/v1/ (token or session auth) and the OpenAPI schema at /api/schema/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

import config.api.schema  # noqa: F401  (registers the token auth scheme)
from config.api.errors import not_found
from config.api.views import LedgerExportView

router = DefaultRouter()
# Each app registers its viewsets in its own api.py (see register_all below).


def register_all() -> None:
    from importlib import import_module

    for module in ("adr.api", "risks.api", "triggers.api"):
        try:
            mod = import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(router)


register_all()

urlpatterns = [
    path("v1/export/", LedgerExportView.as_view(), name="ledger-export"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Swagger UI from drf-spectacular-sidecar's static files; the template drops the
        # inline <style> that our CSP would block.
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="interop/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Anything else under /api/ answers JSON in the one error format.
    re_path(r"^.*$", not_found),
]
