from django.urls import path

from . import interop_views as views

app_name = "interop"

urlpatterns = [
    path("<str:key>/import/", views.log_import, name="import"),
    path("<str:key>/import/confirm/", views.log_import_confirm, name="import-confirm"),
    path("<str:key>/export.zip", views.log_export, name="export"),
]
