from django.urls import path

from . import sso_views, version_views, views

app_name = "risks"

urlpatterns = [
    path("", views.acceptance_list, name="index"),
    path("new/", views.acceptance_create, name="create"),
    path("<int:pk>/", views.acceptance_detail, name="detail"),
    path("<int:pk>/edit/", views.acceptance_edit, name="edit"),
    path("<int:pk>/history/", views.acceptance_history, name="history"),
    path("<int:pk>/compare/", version_views.compare, name="compare"),
    path("<int:pk>/rounds/<int:number>/", version_views.as_signed, name="as-signed"),
    path("<int:pk>/print/", views.acceptance_print, name="print"),
    path("<int:pk>/submit/", views.acceptance_submit, name="submit"),
    path("<int:pk>/sign/", views.acceptance_sign, name="sign"),
    # SSO users sign through a fresh sign-in at their provider (risks.sso_views).
    path("<int:pk>/sign/sso/", sso_views.sign_start, name="sign-sso"),
    path("sign/sso/callback/", sso_views.sign_callback, name="sign-sso-callback"),
    path("<int:pk>/revoke/", views.acceptance_revoke, name="revoke"),
    path("<int:pk>/remediated/", views.acceptance_remediated, name="remediated"),
]
