from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from . import views

urlpatterns = i18n_patterns(path("", views.page, name="page"))
if settings.VARIANT.startswith("cookiecharter") or settings.VARIANT == "all":
    urlpatterns += i18n_patterns(path("cookies/", include("cookiecharter.urls")))
if "cookie_consent" in settings.INSTALLED_APPS:
    urlpatterns += [path("cookies/", include("cookie_consent.urls"))]
