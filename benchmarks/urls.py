"""The product's URLs plus the bare baselines under /_bench/ (config.settings.benchmark
only; config.settings.production routes to config.urls and never imports this)."""

from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401

from . import views

urlpatterns = [
    path("_bench/constant/", views.constant),
    path("_bench/detail/<int:pk>/", views.detail),
    path("_bench/rows/", views.rows),
    path("", include("config.urls")),
]
