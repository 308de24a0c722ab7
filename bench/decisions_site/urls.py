from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from .views import bare_insert

urlpatterns = [
    *i18n_patterns(
        path("cookies/", include("cookiecharter.urls")),
        path("bare/", bare_insert, name="bare"),
    ),
]
