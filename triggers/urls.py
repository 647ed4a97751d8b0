from django.urls import path

from .views import editing, initiatives, pages

app_name = "triggers"

urlpatterns = [
    path("", pages.index, name="index"),
    path("new/", editing.create, name="create"),
    path("<int:pk>/", pages.detail, name="detail"),
    path("<int:pk>/edit/", editing.edit, name="edit"),
    path("<int:pk>/history/", pages.history, name="history"),
    path("<int:pk>/acknowledge/", pages.acknowledge, name="acknowledge"),
    path("<int:pk>/resolve/", pages.resolve, name="resolve"),
    path("<int:pk>/disarm/", pages.disarm, name="disarm"),
    path("<int:pk>/rearm/", pages.rearm, name="rearm"),
    path("initiatives/", initiatives.initiative_list, name="initiative-list"),
    path("initiatives/new/", initiatives.initiative_create, name="initiative-create"),
    path("initiatives/<int:pk>/", initiatives.initiative_detail, name="initiative-detail"),
    path("initiatives/<int:pk>/status/", initiatives.initiative_status, name="initiative-status"),
]
