"""ADPC signals through the real middleware and endpoint, alone and with Global Privacy Control:
what the view may read, what the response sets or deletes, what the cookie then holds, and what
the ledger records (issue 16). The demo charter gives statistics the identifier "statistics"
(opted in to signal-based consent) and embeds the identifier "embeds" (refused by GPC)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cookiecharter.core.consent import BROWSER_SIGNAL_MARK
from cookiecharter.models import ConsentRecord
from tests.django.site import read

pytestmark = pytest.mark.django_db

CONSENT = "/fr/cookies/consent/"
PAGE = "/fr/page/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def urls(settings):
    settings.ROOT_URLCONF = "tests.django.account_urls"


def records() -> list[tuple[str, dict]]:
    return [(r.method, r.choices) for r in ConsentRecord.objects.order_by("id")]


def shown(response) -> dict[str, str]:
    html = response.content.decode()
    return {
        "granted": re.search(r'<p id="granted">(.*?)</p>', html)[1],
        "reads": re.search(r'<p id="reads">(.*?)</p>', html)[1],
        "banner": "data-cookiecharter-banner" in html,
    }


def accepted() -> Client:
    client = Client()
    client.post(CONSENT, {"choice": "accept-all"}, **JSON)
    client.get("/fr/audience/")
    assert client.cookies["portal_audience"].value == "a1"
    return client


def test_a_withdrawal_refuses_at_once_deletes_and_is_recorded_once():
    client = accepted()
    response = client.get(PAGE, HTTP_ADPC="withdraw=statistics")
    page = shown(response)
    assert "portal_audience" not in page["reads"].split() and page["granted"] == "embeds"
    assert response.cookies["portal_audience"]["max-age"] == 0
    assert read(client.cookies["cookies_preferences"].value).granted == {"embeds"}
    assert records() == [("accept-all", {"statistics": True, "embeds": True}), ("adpc", {"statistics": False})]
    # The browser sends it again with every request: nothing more to record.
    client.get(PAGE, HTTP_ADPC="withdraw=statistics")
    assert len(records()) == 2


def test_a_withdrawal_on_any_request_takes_effect_before_the_view():
    client = accepted()
    # An API call or an asset, not a page view: the cookie is withheld and deleted at once; the
    # record waits for the next page.
    response = client.get("/fr/audience/", HTTP_ADPC="withdraw=*")
    assert response.cookies["portal_audience"]["max-age"] == 0
    assert len(records()) == 1
    client.head(PAGE, HTTP_ADPC="withdraw=*")  # ADPC's stand-alone request
    assert records()[-1] == ("adpc", {"statistics": False, "embeds": False})


def test_an_objection_to_direct_marketing_refuses_what_gpc_refuses():
    client = accepted()
    client.get(PAGE, HTTP_ADPC="object=direct-marketing")
    assert read(client.cookies["cookies_preferences"].value).granted == {"statistics"}
    assert records()[-1] == ("adpc", {"embeds": False})


def test_a_consent_signal_grants_an_opted_in_purpose_and_the_banner_asks_the_rest():
    client = Client()
    page = shown(client.get(PAGE, HTTP_ADPC='consent="statistics embeds"'))
    assert page["banner"]  # embeds does not opt in: still to be asked
    value = client.cookies["cookies_preferences"].value
    assert value.split(".")[3] == BROWSER_SIGNAL_MARK + "statistics"
    assert records() == [("adpc", {"statistics": True})]
    nxt = shown(client.get(PAGE))
    assert nxt["granted"] == "statistics" and nxt["banner"]
    assert client.get("/fr/audience/").cookies["portal_audience"].value == "a1"


def test_a_consent_signal_does_not_reopen_a_refusal_made_on_the_site():
    client = Client()
    client.post(CONSENT, {"choice": "refuse-all"}, **JSON)
    assert shown(client.get(PAGE, HTTP_ADPC="consent=statistics"))["granted"] == "-"
    assert [m for m, _ in records()] == ["refuse-all"]


def test_gpc_and_adpc_together_before_any_choice():
    client = Client()
    client.get(PAGE, HTTP_ADPC='consent="statistics"', HTTP_SEC_GPC="1")
    # GPC refuses embeds, ADPC grants statistics: every purpose settled, no banner.
    assert records() == [("adpc", {"statistics": True, "embeds": False})]
    consent = read(client.cookies["cookies_preferences"].value)
    assert consent.decided and consent.granted == {"statistics"}
    assert not shown(client.get(PAGE))["banner"]


def test_accept_all_under_an_adpc_withdrawal_leaves_the_withdrawn_purpose_out():
    client = Client()
    answer = client.post(CONSENT, {"choice": "accept-all"}, HTTP_ADPC="withdraw=embeds", **JSON)
    assert answer.json()["granted"] == ["statistics"]
    # And an explicit switch does not override a withdrawal of that very purpose (it does GPC).
    answer = client.post(CONSENT, {"choice": "custom", "purpose": ["embeds"]}, HTTP_ADPC="withdraw=embeds", **JSON)
    assert answer.json()["granted"] == []


def test_honour_adpc_off(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "HONOUR_ADPC": False}
    client = accepted()
    assert shown(client.get(PAGE, HTTP_ADPC="withdraw=*"))["granted"] == "embeds statistics"
    assert "Link" not in client.get(PAGE)


def test_garbled_headers_are_no_signal_and_never_an_error():
    client = accepted()
    for header in ['consent="statistics', "withdraw", "x" * 5000, "withdraw=*\x00", "=;=;,,"]:
        response = client.get(PAGE, HTTP_ADPC=header)
        assert response.status_code == 200


def test_pages_point_adpc_browsers_at_the_consent_requests_in_the_pages_language():
    client = Client()
    page = client.get(PAGE)
    assert page["Link"] == '</fr/cookies/adpc.json>; rel="consent-requests"'
    requests = client.get("/fr/cookies/adpc.json")
    assert requests["Content-Language"] == "fr" and "public" in requests["Cache-Control"]
    body = requests.json()["consentRequests"]
    assert set(body) == {"statistics", "embeds"} and body["statistics"].startswith("Mesure d'audience: ")
    english = client.get("/en/cookies/adpc.json").json()["consentRequests"]
    assert english["embeds"].startswith("Embedded content (map): ")
    assert "Link" not in client.get("/fr/cookies/adpc.json")  # only on pages


def test_a_charter_without_identifiers_publishes_none(settings):
    from pathlib import Path

    seed = Path(__file__).resolve().parents[2] / "demo" / "charter-seed.toml"
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(seed)}
    client = Client()
    assert "Link" not in client.get(PAGE)
    assert client.get("/fr/cookies/adpc.json").status_code == 404
