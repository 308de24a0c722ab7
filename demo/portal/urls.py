from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

# Language-neutral endpoints: the back office (in the visitor's language all the same), the API, downloads, the language switch and the audience counter.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/datasets/", views.api_datasets, name="api-datasets"),
    path("api/datasets/<slug:slug>/favourite/", views.api_favourite, name="api-favourite"),
    path("datasets/<slug:slug>.csv", views.download, name="download"),
    path("stats/hit", views.stats_hit, name="stats-hit"),
]

# Pages people read, under /fr/ and /en/ (French is the default, as on the seed's platform).
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("datasets/<slug:slug>/", views.dataset, name="dataset"),
    path("cookie-filter/", views.enforcement_demo, name="enforcement-demo"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cookies/", include("cookiecharter.urls")),
)
