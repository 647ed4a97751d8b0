from django.urls import path

from . import interop_views as views

app_name = "interop"

urlpatterns = [
    path("<str:key>/import/", views.log_import, name="import"),
    path("<str:key>/import/confirm/", views.log_import_confirm, name="import-confirm"),
    path("<str:key>/import/jobs/<int:job_id>/", views.log_import_job, name="job"),
    path(
        "<str:key>/import/jobs/<int:job_id>/confirm/",
        views.log_import_job_confirm,
        name="job-confirm",
    ),
    path("<str:key>/export.zip", views.log_export, name="export"),
]
