"""Global Privacy Control: in a decision, and on arrival with no decision (a "browser-signal" record)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from cookiecharter.choices import record_browser_signal
from cookiecharter.core.consent import BROWSER_SIGNAL_MARK
from cookiecharter.models import ConsentRecord
from tests.django.site import charter, sign, through_middleware

URL = "/fr/cookies/consent/"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def methods_and_choices():
    return list(ConsentRecord.objects.order_by("id").values_list("method", "choices"))


def test_accept_all_under_gpc_refuses_the_gpc_purposes(client):
    response = client.post(URL, {"choice": "accept-all"}, HTTP_SEC_GPC="1", HTTP_ACCEPT="application/json")
    assert response.json()["granted"] == ["statistics"]
    assert methods_and_choices() == [("accept-all", {"statistics": True, "embeds": False})]


def test_explicit_custom_grant_overrides_gpc(client):
    response = client.post(
        URL, {"choice": "custom", "purpose": ["embeds"]}, HTTP_SEC_GPC="1", HTTP_ACCEPT="application/json"
    )
    assert response.json()["granted"] == ["embeds"]
    assert methods_and_choices() == [("custom", {"statistics": False, "embeds": True})]


@pytest.mark.parametrize("value", ["0", "true", "yes", "11", ""])
def test_only_exactly_1_is_the_signal(client, value):
    response = client.post(URL, {"choice": "accept-all"}, HTTP_SEC_GPC=value, HTTP_ACCEPT="application/json")
    assert response.json()["granted"] == ["embeds", "statistics"]


@pytest.mark.parametrize(
    "field, granted", [("1", ["statistics"]), ("0", ["embeds", "statistics"]), ("true", ["embeds", "statistics"])]
)
def test_the_page_scripts_gpc_field_is_the_signal_too(client, field, granted):
    # navigator.globalPrivacyControl seen by consent.js, sent as a form field: exactly "1" counts.
    response = client.post(URL, {"choice": "accept-all", "gpc": field}, HTTP_ACCEPT="application/json")
    assert response.json()["granted"] == granted


def test_gpc_can_be_switched_off(client, settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "HONOUR_GPC": False}
    response = client.post(URL, {"choice": "accept-all"}, HTTP_SEC_GPC="1", HTTP_ACCEPT="application/json")
    assert response.json()["granted"] == ["embeds", "statistics"]


def page(request, html=True, status=200) -> HttpResponse:
    return HttpResponse("<p>page</p>", status=status, content_type="text/html" if html else "text/css")


def test_arrival_with_gpc_records_one_browser_signal_and_leaves_the_rest_undecided():
    rf = RequestFactory()
    request = through_middleware(rf.get("/fr/", HTTP_SEC_GPC="1"))
    # The banner tag calls it during the render (no response yet) ...
    consent = record_browser_signal(request)
    assert consent is not None and consent.browser_signal and not consent.decided
    assert request.consent is consent  # the rest of the render sees the new state
    # ... and the middleware once more on the way out: same decision, now with its cookie.
    response = page(request)
    assert record_browser_signal(request, response) is consent
    assert methods_and_choices() == [("browser-signal", {"embeds": False})]
    value = response.cookies["cookies_preferences"].value
    assert value.split(".")[3] == BROWSER_SIGNAL_MARK
    assert response.cookies["cookies_preferences"]["max-age"] == 15_778_800

    # The next page view carries the cookie: nothing more is recorded, the banner is still due.
    again = through_middleware(rf.get("/fr/autre/", HTTP_SEC_GPC="1", HTTP_COOKIE=f"cookies_preferences={value}"))
    assert record_browser_signal(again, page(again)) is None
    later = again.consent
    assert later.consent_id == consent.consent_id and not later.decided and later.granted == frozenset()
    assert ConsentRecord.objects.count() == 1


def test_decision_after_a_browser_signal_keeps_the_consent_id(client):
    request = through_middleware(RequestFactory().get("/fr/", HTTP_SEC_GPC="1"))
    signal = record_browser_signal(request, page(request))
    client.cookies["cookies_preferences"] = sign(signal)
    response = client.post(URL, {"choice": "refuse-all"}, HTTP_SEC_GPC="1", HTTP_ACCEPT="application/json")
    assert response.json()["consent_id"] == signal.consent_id
    assert [m for m, _ in methods_and_choices()] == ["browser-signal", "refuse-all"]


@pytest.mark.parametrize(
    "method, headers, html, status",
    [
        ("post", {"HTTP_SEC_GPC": "1"}, True, 200),
        ("get", {}, True, 200),
        ("get", {"HTTP_SEC_GPC": "0"}, True, 200),
        ("get", {"HTTP_SEC_GPC": "1"}, False, 200),
        ("get", {"HTTP_SEC_GPC": "1"}, True, 404),
        ("get", {"HTTP_SEC_GPC": "1"}, True, 302),
    ],
)
def test_no_browser_signal_record_otherwise(method, headers, html, status):
    request = through_middleware(getattr(RequestFactory(), method)("/fr/", **headers))
    response = page(request, html=html, status=status)
    assert record_browser_signal(request, response) is None
    assert "cookies_preferences" not in response.cookies
    assert not ConsentRecord.objects.exists()


def test_no_browser_signal_record_over_an_existing_decision(client):
    decided = client.post(URL, {"choice": "accept-all"})
    value = decided.cookies["cookies_preferences"].value
    request = through_middleware(
        RequestFactory().get("/fr/", HTTP_SEC_GPC="1", HTTP_COOKIE=f"cookies_preferences={value}")
    )
    assert record_browser_signal(request, page(request)) is None
    assert ConsentRecord.objects.count() == 1


def test_when_every_purpose_is_refused_by_gpc_the_signal_is_a_full_refusal(settings, tmp_path):
    text = (ROOT / "demo" / "charter.toml").read_text(encoding="utf-8")
    text = text.replace("[purposes.statistics]\n", "[purposes.statistics]\nrefused_by_gpc = true\n")
    path = tmp_path / "charter.toml"
    path.write_text(text, encoding="utf-8")
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(path)}
    assert all(p.refused_by_gpc for p in charter().consent_purposes)
    request = through_middleware(RequestFactory().get("/fr/", HTTP_SEC_GPC="1"))
    response = page(request)
    consent = record_browser_signal(request, response)
    assert consent.decided and consent.granted == frozenset()
    assert response.cookies["cookies_preferences"].value.split(".")[3] == ""
    assert methods_and_choices() == [("browser-signal", {"statistics": False, "embeds": False})]


def test_seed_charter_without_consent_purposes_records_nothing(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(ROOT / "demo" / "charter-seed.toml")}
    request = through_middleware(RequestFactory().get("/fr/", HTTP_SEC_GPC="1"))
    assert record_browser_signal(request, page(request)) is None
    assert not ConsentRecord.objects.exists()


def test_through_the_middleware_the_first_page_view_records_once_and_sets_the_cookie(client):
    first = client.get("/fr/cookies/", HTTP_SEC_GPC="1")
    assert first.status_code == 200
    assert first.cookies["cookies_preferences"].value.split(".")[3] == BROWSER_SIGNAL_MARK
    assert methods_and_choices() == [("browser-signal", {"embeds": False})]
    # The visitor's id is already shown on the charter page, as for any decision.
    signal = ConsentRecord.objects.get()
    assert signal.consent_id in first.content.decode()
    for _ in range(3):  # the cookie is sent back: nothing more is recorded
        again = client.get("/fr/cookies/", HTTP_SEC_GPC="1")
        assert again.status_code == 200 and "cookies_preferences" not in again.cookies
    assert ConsentRecord.objects.count() == 1
    # Without the signal nothing is recorded at all.
    client.cookies.clear()
    client.get("/fr/cookies/")
    assert ConsentRecord.objects.count() == 1
