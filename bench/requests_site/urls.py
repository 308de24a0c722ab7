from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from . import views

urlpatterns = i18n_patterns(path("", views.page, name="page"))
if settings.VARIANT.startswith("cookiecharter"):
    urlpatterns += i18n_patterns(path("cookies/", include("cookiecharter.urls")))
elif settings.VARIANT == "cookie-consent":
    urlpatterns += [path("cookies/", include("cookie_consent.urls"))]
