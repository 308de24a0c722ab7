"""A page that shows what the request goes by, for the tests of consent that follows an account."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib.auth.views import LogoutView
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path


def page(request):
    """The banner (or the notice), and what the view may use: the purposes and the cookies it reads."""
    return render(
        request,
        "account_page.html",
        {
            "granted": " ".join(sorted(request.consent.granted)) or "-",
            "reads": " ".join(sorted(request.COOKIES)) or "-",
        },
    )


def set_audience(request):
    response = HttpResponse("audience", content_type="text/plain")  # an API answer, not a page
    response.set_cookie("portal_audience", "a1", max_age=3600)
    return response


urlpatterns = [
    *i18n_patterns(
        path("cookies/", include("cookiecharter.urls")),
        path("page/", page),
        path("audience/", set_audience),
        path("logout/", LogoutView.as_view(next_page="/fr/page/")),
    ),
]
