"""CookieCharterMiddleware against real Django responses: what the browser would receive."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from cookiecharter.core.consent import Consent, new_consent_id
from cookiecharter.core.headers import UndeclaredCookieError
from cookiecharter.models import ObservedCookie
from tests.django.site import charter, sign

CHARTER = Path(__file__).with_name("enforcement_charter.toml")
MIDDLEWARE = "cookiecharter.middleware.CookieCharterMiddleware"
THIRTEEN_MONTHS = 13 * 2_629_800

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enforcement(settings):
    settings.MIDDLEWARE = [MIDDLEWARE, *[m for m in settings.MIDDLEWARE if m != MIDDLEWARE]]
    settings.ROOT_URLCONF = "tests.django.enforcement_urls"
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(CHARTER), "UNDECLARED": "block"}
    return settings


def consent_cookie(*granted: str) -> str:
    """A real signed consent value, as the consent endpoint writes it."""
    decision = Consent(new_consent_id(), datetime.now(timezone.utc), charter().consent_version, frozenset(granted))
    return sign(decision)


def client_with(*granted: str, **cookies: str) -> Client:
    client = Client()
    if granted or "refused" in cookies:
        cookies.pop("refused", None)
        client.cookies["cookies_preferences"] = consent_cookie(*granted)
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def test_ga_without_consent_is_not_sent_and_is_logged_and_recorded(caplog):
    with caplog.at_level(logging.WARNING, logger="cookiecharter.enforcement"):
        response = Client().get("/ga/")
    assert response.status_code == 200
    assert "_ga" not in response.cookies
    assert "_ga" not in response.headers.get("Set-Cookie", "")
    (record,) = [r for r in caplog.records if getattr(r, "cookie", None) == "_ga"]
    assert (record.reason, record.path, record.view) == ("not-consented", "/ga/", "set-ga")
    Client().get("/ga/")
    row = ObservedCookie.objects.get(name="_ga")
    assert (row.reason, row.count, row.example_path) == ("not-consented", 2, "/ga/")
    assert row.last_seen >= row.first_seen


def test_ga_with_consent_passes_capped_to_its_declared_lifetime():
    response = client_with("statistics").get("/ga/")
    morsel = response.cookies["_ga"]
    assert morsel.value == "GA1.1.123.456"
    # The view asked for two years; the charter declares 13 months.
    assert int(morsel["max-age"]) == THIRTEEN_MONTHS
    assert ObservedCookie.objects.get(name="_ga").reason == "lifetime-capped"


def test_consent_for_another_purpose_does_not_let_ga_through():
    response = client_with("embeds").get("/ga/")
    assert "_ga" not in response.cookies


def test_forged_consent_cookie_counts_as_no_decision():
    client = Client()
    value = consent_cookie("statistics")
    client.cookies["cookies_preferences"] = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    response = client.get("/ga/")
    assert response.status_code == 200 and "_ga" not in response.cookies


def test_request_consent_allows():
    assert Client().get("/consent-state/").content == b"statistics=False"
    assert client_with("statistics").get("/consent-state/").content == b"statistics=True"


def test_async_view_and_async_middleware_path():
    blocked = async_to_sync(AsyncClient().get)("/ga-async/")
    assert blocked.status_code == 200 and "_ga" not in blocked.cookies
    client = AsyncClient()
    client.cookies["cookies_preferences"] = consent_cookie("statistics")
    passed = async_to_sync(client.get)("/ga-async/")
    assert passed.cookies["_ga"].value == "GA1.1.123.456"
    assert ObservedCookie.objects.get(name="_ga").count == 1


def test_raw_set_cookie_header_is_filtered_too():
    response = Client().get("/ga-raw/")
    assert "Set-Cookie" not in response.headers
    response = client_with("statistics").get("/ga-raw/")
    assert response.headers["Set-Cookie"].startswith("_ga=GA1.raw;")


def test_undeclared_blocked_by_default_exempt_cookie_passes():
    response = Client().get("/tracker/")
    assert "tracker" not in response.cookies
    assert response.cookies["cart"].value == "3-items"
    assert ObservedCookie.objects.get(name="tracker").reason == "undeclared"


def test_undeclared_reported_lets_it_through_but_logs_and_records(settings, caplog):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "UNDECLARED": "report"}
    with caplog.at_level(logging.WARNING, logger="cookiecharter.enforcement"):
        response = Client().get("/tracker/")
    assert response.cookies["tracker"].value == "xyz"
    assert any(getattr(r, "cookie", None) == "tracker" and r.reason == "undeclared" for r in caplog.records)
    row = ObservedCookie.objects.get(name="tracker")
    assert row.lifetime == 400 * 86_400


@pytest.mark.parametrize("debug,mode", [(False, "raise"), (True, None)])
def test_undeclared_raises_with_the_entry_to_add(settings, debug, mode):
    settings.DEBUG = debug
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "UNDECLARED": mode}
    with pytest.raises(UndeclaredCookieError) as caught:
        Client().get("/tracker/")
    message = str(caught.value)
    assert "[[cookies]]" in message and 'name = "tracker"' in message
    assert 'lifetime = "400 days"' in message and "/tracker/" in message


def test_exempt_view_sets_what_it_likes():
    assert Client().get("/exempt/").cookies["tracker"].value == "xyz"
    assert async_to_sync(AsyncClient().get)("/exempt-async/").cookies["tracker"].value == "xyz"
    assert not ObservedCookie.objects.exists()


def test_withdrawal_deletes_with_declared_path_and_domain():
    client = client_with("statistics", _ga="GA1.1.1.1", _ga_ABC="x", mapwidget_session="m")
    response = client.get("/refuse/")
    assert response.cookies["cookies_preferences"].value  # the new decision goes out
    ga, ga_abc = response.cookies["_ga"], response.cookies["_ga_ABC"]
    assert (ga.value, ga["max-age"], ga["path"], ga["domain"]) == ("", 0, "/", ".example.org")
    assert (ga_abc["max-age"], ga_abc["path"], ga_abc["domain"]) == (0, "/stats", "")
    # The third party's cookie is out of the site's reach: no pointless header for it.
    assert "mapwidget_session" not in response.cookies


def test_script_set_cookie_without_consent_is_deleted_on_next_response():
    response = client_with(_ga="set-by-a-script").get("/plain/")
    assert response.cookies["_ga"]["max-age"] == 0
    response = client_with("statistics", _ga="fine").get("/plain/")
    assert "_ga" not in response.cookies


def test_nothing_to_do_changes_nothing():
    response = client_with(cart="1", someone_elses="x").get("/plain/")
    assert not response.cookies and "Set-Cookie" not in response.headers
    assert not ObservedCookie.objects.exists()


def test_over_long_exempt_cookie_is_capped():
    response = Client().get("/long-cart/")
    assert int(response.cookies["cart"]["max-age"]) == 86_400


def test_template_filter_consent_allows():
    from django.template import engines
    from django.test import RequestFactory

    from cookiecharter.middleware import CookieCharterMiddleware

    template = engines["django"].from_string(
        '{% load cookiecharter %}{% if request|consent_allows:"statistics" %}stats{% endif %}'
        '|{% if request|consent_allows:"necessary" %}needed{% endif %}'
        '|{% if request|consent_allows:"statistcs" %}typo{% endif %}'
    )
    seen = []

    def view(request):
        seen.append(template.render({"request": request}))
        from django.http import HttpResponse

        return HttpResponse()

    middleware = CookieCharterMiddleware(view)
    middleware(RequestFactory().get("/"))
    request = RequestFactory().get("/")
    request.COOKIES["cookies_preferences"] = consent_cookie("statistics")
    middleware(request)
    assert seen == ["|needed|", "stats|needed|"]


def _render_for(template, *granted: str) -> str:
    """``template`` rendered by a view behind the middleware, for a visitor who granted ``granted``
    (no decision at all when empty)."""
    from django.http import HttpResponse
    from django.template import RequestContext
    from django.test import RequestFactory

    from cookiecharter.middleware import CookieCharterMiddleware

    request = RequestFactory().get("/")
    if granted:
        request.COOKIES["cookies_preferences"] = consent_cookie(*granted)
    # A RequestContext: the tag finds the request on it, with no request context processor.
    response = CookieCharterMiddleware(lambda r: HttpResponse(template.render(RequestContext(r, {"n": 3}))))(request)
    return response.content.decode()


def test_ifconsent_block_tag_answers_as_the_filter():
    from django.template import Template

    template = Template(
        '{% load cookiecharter %}{% ifconsent "statistics" %}stats {{ n }}{% else %}no stats{% endifconsent %}'
        '|{% ifconsent "necessary" %}needed{% endifconsent %}'
        "|{% ifconsent 'statistcs' %}typo{% else %}closed{% endifconsent %}"
        '|{% ifconsent "embeds" %}{% ifconsent "statistics" %}both{% endifconsent %}{% endifconsent %}'
    )
    assert _render_for(template) == "no stats|needed|closed|"
    assert _render_for(template, "statistics") == "stats 3|needed|closed|"
    assert _render_for(template, "statistics", "embeds") == "stats 3|needed|closed|both"
    assert _render_for(template, "embeds") == "no stats|needed|closed|"


def test_ifconsent_blocks_inside_are_overridden_and_keep_their_super():
    from django.template import Engine

    engine = Engine(
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "layout.html": '{% load cookiecharter %}[{% ifconsent "statistics" %}{% block stats %}layout'
                    "{% endblock %}{% else %}{% block none %}nothing{% endblock %}{% endifconsent %}]",
                    "page.html": '{% extends "layout.html" %}{% block stats %}page {{ block.super }} {{ n }}{% endblock %}'
                    "{% block none %}refused{% endblock %}",
                },
            )
        ],
        libraries={"cookiecharter": "cookiecharter.templatetags.cookiecharter"},
    )
    page = engine.get_template("page.html")
    assert _render_for(page, "statistics") == "[page layout 3]"
    assert _render_for(page) == "[refused]"


@pytest.mark.parametrize(
    "source, message",
    [
        ("{% ifconsent %}x{% endifconsent %}", "ifconsent takes one purpose, in quotes"),
        ("{% ifconsent statistics %}x{% endifconsent %}", "ifconsent takes one purpose, in quotes"),
        ('{% ifconsent "statistics" "embeds" %}x{% endifconsent %}', "ifconsent takes one purpose, in quotes"),
        ('{% ifconsent "" %}x{% endifconsent %}', "ifconsent takes one purpose, in quotes"),
        ('{% ifconsent "statistics" %}x', "endifconsent"),
    ],
)
def test_ifconsent_rejects_what_it_cannot_read(source, message):
    from django.template import Template, TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match=message):
        Template("{% load cookiecharter %}" + source)


# -- consent values remembered between requests --------------------------------------------------


def test_a_remembered_consent_value_still_means_what_it_says():
    client = client_with("statistics")
    for _ in range(3):  # the first request verifies the value, the next ones reuse it
        assert client.get("/consent-state/").content == b"statistics=True"
        assert client.get("/ga/").cookies["_ga"].value == "GA1.1.123.456"


def test_a_decision_made_during_a_request_is_not_remembered_for_the_old_value():
    client = client_with("statistics")
    assert client.get("/refuse-in-request/").content == b"statistics=False"
    # The browser still sends the old value (the view wrote no cookie): it still grants statistics.
    assert client.get("/consent-state/").content == b"statistics=True"


def test_a_new_charter_forgets_remembered_values(settings, tmp_path):
    client = client_with("statistics")
    assert client.get("/consent-state/").content == b"statistics=True"
    changed = tmp_path / "charter.toml"
    changed.write_text(
        CHARTER.read_text().replace('lifetime = "13 months"\npath = "/"', 'lifetime = "6 months"\npath = "/"')
    )
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(changed)}
    # What consent is about changed (a lifetime of a statistics cookie): the old answer no longer counts.
    assert client.get("/consent-state/").content == b"statistics=False"


def test_a_remembered_value_expires_with_the_consent(settings):
    import time
    from datetime import timedelta

    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CONSENT_COOKIE_AGE": 100}
    decided = datetime.now(timezone.utc) - timedelta(seconds=98)
    value = sign(Consent(new_consent_id(), decided, charter().consent_version, frozenset({"statistics"})))
    client = Client()
    client.cookies["cookies_preferences"] = value
    assert client.get("/consent-state/").content == b"statistics=True"
    time.sleep(3)
    assert client.get("/consent-state/").content == b"statistics=False"


def test_the_real_consent_endpoint_withdrawal_deletes_and_acceptance_lets_through():
    client = client_with("statistics", _ga="GA1.1.1.1")
    response = client.post("/fr/cookies/consent/", {"choice": "refuse-all", "next": "/plain/"})
    assert response.status_code == 303
    ga = response.cookies["_ga"]
    assert (ga["max-age"], ga["path"], ga["domain"]) == (0, "/", ".example.org")
    # Accepting: the decision in this very response counts, so a cookie set on it goes out.
    response = Client().post("/fr/cookies/consent/", {"choice": "accept-all", "next": "/plain/"})
    assert response.status_code == 303 and response.cookies["cookies_preferences"].value
    assert "_ga" not in response.cookies  # nothing deleted: the browser held none


def test_a_request_cookie_whose_name_django_cannot_write_is_no_reason_for_a_500(caplog):
    # "_ga_a b" falls under the "_ga_*" declaration (statistics, not granted), so it calls for a
    # deletion; Django's cookie writer refuses a name with a space.
    response = Client().get("/plain/", HTTP_COOKIE="_ga_a b=1; _ga_ok=2")
    assert response.status_code == 200
    assert response.cookies["_ga_ok"]["max-age"] == 0  # the others are still deleted
    assert any("cannot delete cookie '_ga_a b'" in r.getMessage() for r in caplog.records)


def test_an_expires_in_any_order_a_browser_accepts_is_capped_too():
    # django_language is declared from the settings as a session cookie; this Expires would keep it
    # for years in a browser, though an HTTP-date parser cannot read it (issue 12, problem 8).
    morsel = Client().get("/language-far/").cookies["django_language"]
    assert morsel["expires"] == "" and morsel["max-age"] == ""


def test_a_view_reads_no_cookie_of_a_purpose_not_granted_nor_of_a_withdrawn_one(settings):
    from cookiecharter.models import ObservedCookie

    client = client_with("statistics", _ga="GA1.2", cart="3", mapwidget_session="m")
    assert client.get("/cookies-seen/").json() == {
        "cookies": ["_ga", "cart", "cookies_preferences"],
        "header": "_ga,cart,cookies_preferences",
    }
    # Withdrawn: the view reads neither _ga from request.COOKIES nor from the Cookie header.
    client.cookies["cookies_preferences"] = consent_cookie()
    response = client.get("/cookies-seen/")
    assert response.json() == {"cookies": ["cart", "cookies_preferences"], "header": "cart,cookies_preferences"}
    assert response.cookies["_ga"]["max-age"] == 0  # and the browser is told to drop it
    assert ObservedCookie.objects.get(name="_ga", reason="withheld").count == 1
    assert ObservedCookie.objects.get(name="mapwidget_session", reason="withheld").count == 2
    # A setting turns it off, and a check says so.
    from django.core.checks import run_checks

    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "WITHHOLD_COOKIES": False}
    assert "_ga" in client.get("/cookies-seen/").json()["cookies"]
    assert "cookiecharter.W016" in {m.id for m in run_checks(tags=["cookiecharter"])}
