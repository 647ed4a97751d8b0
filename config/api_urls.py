"""The REST API: /api/v1/ (token or session auth) and the OpenAPI schema at /api/schema/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

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
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
