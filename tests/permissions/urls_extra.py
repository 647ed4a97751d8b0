"""The site's URLs plus two that ROUTES does not classify (test_every_url's self-test)."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site


def _page(request, **kwargs):
    return HttpResponse("")


urlpatterns = [
    *site,
    path("undecided/", include(([path("<int:pk>/", _page, name="undecided")], "extra"))),
    path("unnamed/", _page),
]
