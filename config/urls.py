from django.contrib import admin
from django.urls import include, path

from config import inbox_views
from config import views as core_views

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", inbox_views.home, name="home"),
    path("accounts/", include("config.accounts.urls")),
    path("outbox/", include("config.notifications.urls")),
    path("calendar/", include("config.calendar.urls")),
    path("notifications/", include("config.inapp.urls")),
    path("preferences/", include("config.preferences.urls")),
    path("decisions/io/", include("adr.interop_urls")),
    path("decisions/", include("adr.urls")),
    path("risks/", include("risks.urls")),
    path("triggers/", include("triggers.urls")),
    path("channels/", include("triggers.channels.urls")),
    path("comments/", include("comments.urls")),
    path("reviews/", include("reviews.urls")),
    path("policy/", include("riskpolicy.urls")),
    path("api/", include("config.api_urls")),
    path("hooks/", include("triggers.hook_urls")),
    path("demo/", include("triggers.demo_urls")),
    path("search/", core_views.search, name="search"),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
