from django.urls import path, register_converter

from . import map_views, version_views, views


class DecisionNumber:
    """The number part of a reference: AUTH-0007 and AUTH-7 both resolve; links are padded."""

    regex = "[0-9]{1,9}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return f"{int(value):04d}"


register_converter(DecisionNumber, "num")

app_name = "adr"

urlpatterns = [
    path("", views.decision_list, name="decision-list"),
    path("new/", views.decision_edit, name="decision-create"),
    path("preview/", views.markdown_preview, name="preview"),
    path("logs/", views.log_list, name="log-list"),
    path("logs/new/", views.log_edit, name="log-create"),
    path("logs/<str:key>/", views.log_detail, name="log-detail"),
    path("logs/<str:key>/edit/", views.log_edit, name="log-edit"),
    path("logs/<str:key>/map/", map_views.log_map, name="log-map"),
    path("<str:key>-<num:number>/", views.decision_detail, name="decision-detail"),
    path("<str:key>-<num:number>/edit/", views.decision_edit, name="decision-edit"),
    path("<str:key>-<num:number>/history/", views.decision_history, name="decision-history"),
    path(
        "<str:key>-<num:number>/compare/",
        version_views.decision_compare,
        name="decision-compare",
    ),
    path("<str:key>-<num:number>/status/", views.decision_status, name="decision-status"),
    path("<str:key>-<num:number>/reviewed/", views.decision_reviewed, name="decision-reviewed"),
]
