"""Views that set cookies the way real sites do, for the enforcement middleware tests."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from cookiecharter.decorators import cookiecharter_exempt

TWO_YEARS = 2 * 365 * 86_400


def set_ga(request):
    response = HttpResponse("ga")
    response.set_cookie("_ga", "GA1.1.123.456", max_age=TWO_YEARS, path="/")
    return response


async def set_ga_async(request):
    response = HttpResponse("ga async")
    response.set_cookie("_ga", "GA1.1.123.456", max_age=3600, path="/")
    return response


def set_ga_raw(request):
    # Code outside Django's cookie API (a library, a proxy shim) writing the header itself.
    response = HttpResponse("raw")
    response.headers["Set-Cookie"] = "_ga=GA1.raw; Path=/; Max-Age=600; SameSite=Lax"
    return response


def set_tracker(request):
    response = HttpResponse("tracker")
    response.set_cookie("tracker", "xyz", max_age=400 * 86_400)
    response.set_cookie("cart", "3-items", max_age=3600)
    return response


@cookiecharter_exempt
def exempt_tracker(request):
    response = HttpResponse("exempt")
    response.set_cookie("tracker", "xyz")
    return response


@cookiecharter_exempt
async def exempt_tracker_async(request):
    response = HttpResponse("exempt async")
    response.set_cookie("tracker", "xyz")
    return response


def long_cart(request):
    response = HttpResponse("cart")
    response.set_cookie("cart", "1", max_age=30 * 86_400)
    return response


def refuse_all(request):
    # What the consent endpoint does with a withdrawal: write the new decision on the response.
    from datetime import datetime, timezone

    from cookiecharter.core.consent import Consent, new_consent_id
    from cookiecharter.sites import site_for

    site = site_for(request)
    decision = Consent(new_consent_id(), datetime.now(timezone.utc), site.charter.consent_version, frozenset())
    response = HttpResponse("refused")
    site.set_consent_cookie(response, decision)
    return response


def refuse_in_request(request):
    # As the consent endpoint does: the new decision becomes the request's consent at once.
    from datetime import datetime, timezone

    from cookiecharter.core.consent import Consent, new_consent_id
    from cookiecharter.sites import site_for

    request.consent = Consent(
        new_consent_id(), datetime.now(timezone.utc), site_for(request).charter.consent_version, frozenset()
    )
    return HttpResponse("statistics={}".format(request.consent.allows("statistics")))


def language_far_expiry(request):
    # An Expires in an order browsers accept and HTTP dates do not (RFC 6265, 5.1.1).
    response = HttpResponse("language")
    response.set_cookie("django_language", "en", expires="2045 Jan 23 06:11:32")
    return response


def cookies_seen(request):
    # What a view can read of the visitor's cookies, both ways.
    from django.http import JsonResponse

    header = sorted(p.split("=", 1)[0].strip() for p in request.META.get("HTTP_COOKIE", "").split(";") if p.strip())
    return JsonResponse({"cookies": sorted(request.COOKIES), "header": ",".join(header)})


def plain(request):
    return HttpResponse("plain")


def consent_state(request):
    return HttpResponse("statistics={}".format(request.consent.allows("statistics")))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("ga/", set_ga, name="set-ga"),
    path("ga-async/", set_ga_async, name="set-ga-async"),
    path("ga-raw/", set_ga_raw, name="set-ga-raw"),
    path("tracker/", set_tracker, name="set-tracker"),
    path("exempt/", exempt_tracker, name="exempt"),
    path("exempt-async/", exempt_tracker_async, name="exempt-async"),
    path("long-cart/", long_cart, name="long-cart"),
    path("plain/", plain, name="plain"),
    path("cookies-seen/", cookies_seen, name="cookies-seen"),
    path("language-far/", language_far_expiry, name="language-far"),
    path("refuse/", refuse_all, name="refuse"),
    path("refuse-in-request/", refuse_in_request, name="refuse-in-request"),
    path("consent-state/", consent_state, name="consent-state"),
    *i18n_patterns(path("cookies/", include("cookiecharter.urls"))),
]
