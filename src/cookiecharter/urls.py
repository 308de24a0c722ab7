"""URLs of the cookiecharter app. Include them under ``i18n_patterns`` (``/<lang>/cookies/``)."""

from django.urls import path

from . import views

app_name = "cookiecharter"

urlpatterns = [
    path("", views.charter_page, name="charter"),
    path("pdf/", views.charter_pdf, name="charter-pdf"),
    path("consent/", views.consent_view, name="consent"),
    path("preferences/", views.preferences_view, name="preferences"),
    path("adpc.json", views.adpc_view, name="adpc"),
]
