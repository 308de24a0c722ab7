"""Consent that follows a signed-in person across browsers (FOLLOW_ACCOUNT), each browser a real
test client with its own cookies, one account: what each browser is shown, what its cookie then
holds, what a view may read, and what the ledger records (issue 16)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from cookiecharter.core.consent import Consent
from cookiecharter.models import AccountChoice, ConsentRecord
from tests.django.site import charter, read, sign

pytestmark = pytest.mark.django_db

CONSENT = "/fr/cookies/consent/"
PAGE = "/fr/page/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def follow(settings):
    settings.ROOT_URLCONF = "tests.django.account_urls"
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "FOLLOW_ACCOUNT": True}


@pytest.fixture
def person(db):
    return get_user_model().objects.create_user("ana", password="not-used-here")


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def choice_of(client: Client) -> Consent:
    return read(client.cookies["cookies_preferences"].value)


def shown(response) -> dict[str, str]:
    html = response.content.decode()
    return {
        "granted": re.search(r'<p id="granted">(.*?)</p>', html)[1],
        "reads": re.search(r'<p id="reads">(.*?)</p>', html)[1],
        "banner": "data-cookiecharter-banner" in html,
        "notice": re.search(r"data-cookiecharter-notice>(.*?)</section>", html, re.S)[1]
        if "data-cookiecharter-notice" in html
        else "",
        "html": html,
    }


def methods() -> list[str]:
    return list(ConsentRecord.objects.order_by("id").values_list("method", flat=True))


def earlier(client: Client, minutes: int) -> None:
    """Move the browser's choice back in time, as if made ``minutes`` ago (re-signed as the site does)."""
    consent = choice_of(client)
    client.cookies["cookies_preferences"] = sign(
        Consent(
            consent.consent_id,
            consent.decided_at - timedelta(minutes=minutes),
            consent.consent_version,
            consent.granted,
        )
    )


def test_refuse_on_a_then_sign_in_on_b_b_shows_the_notice_and_has_refused(follow, person):
    a = browser(person)
    assert a.post(CONSENT, {"choice": "refuse-all"}, **JSON).status_code == 200
    row = AccountChoice.objects.get()
    assert row.granted == [] and row.user_id == str(person.pk)

    b = browser()
    assert shown(b.get(PAGE))["banner"]  # signed out: B's own (absent) choice, so the banner
    b.force_login(person)
    first = shown(b.get(PAGE))
    assert not first["banner"]
    assert (
        "sur un autre appareil" in first["notice"]
        and "Mesure d&#x27;audience</strong>\u202f: refusé" in first["notice"]
    )
    assert choice_of(b).decided and choice_of(b).granted == frozenset()
    assert methods() == ["refuse-all", "account"]
    applied = ConsentRecord.objects.order_by("id").last()
    assert applied.user_id == str(person.pk) and applied.choices == {"statistics": False, "embeds": False}
    # The notice is shown once; the next page is quiet and records nothing more.
    again = shown(b.get(PAGE))
    assert not again["notice"] and not again["banner"] and methods() == ["refuse-all", "account"]


def test_withdraw_on_b_and_as_next_page_neither_sets_nor_reads_the_purposes_cookies(follow, person):
    a, b = browser(person), browser(person)
    a.post(CONSENT, {"choice": "accept-all"}, **JSON)
    a.get("/fr/audience/")
    assert "portal_audience" in a.cookies and a.cookies["portal_audience"].value == "a1"
    earlier(a, 10)  # A chose ten minutes ago; B, where the account's choice applies, now withdraws
    assert shown(b.get(PAGE))["granted"] == "-"  # the switching request: what both allow (B had nothing)
    b.post(CONSENT, {"choice": "custom", "purpose": ["embeds"]}, **JSON)
    assert AccountChoice.objects.get().granted == ["embeds"]

    response = a.get(PAGE)
    page = shown(response)
    assert "portal_audience" not in page["reads"].split()  # not readable by the view
    assert page["granted"] == "embeds"
    assert response.cookies["portal_audience"]["max-age"] == 0  # and deleted from A
    assert choice_of(a).granted == {"embeds"}
    again = a.get("/fr/audience/").cookies["portal_audience"]  # nor set again: blocked, deleted instead
    assert again.value == "" and again["max-age"] == 0
    assert methods() == ["accept-all", "account", "withdraw", "account"]


def test_sign_out_on_a_keeps_as_own_choice(follow, person):
    a, b = browser(person), browser(person)
    a.post(CONSENT, {"choice": "accept-all"}, **JSON)
    kept = choice_of(a)
    a.post("/fr/logout/")  # the site's sign-out view (Client.logout would drop every cookie)
    assert "sessionid" not in a.cookies or not a.cookies["sessionid"].value
    assert choice_of(a) == kept
    earlier(a, 10)
    b.post(CONSENT, {"choice": "refuse-all"}, **JSON)
    page = shown(a.get(PAGE))
    assert not page["banner"] and not page["notice"] and page["granted"] == "embeds statistics"


def test_a_refusal_made_before_signing_in_stands_against_an_older_acceptance(follow, person):
    a, b = browser(person), browser()
    a.post(CONSENT, {"choice": "accept-all"}, **JSON)
    AccountChoice.objects.update(decided_at=timezone.now() - timedelta(hours=1))
    b.post(CONSENT, {"choice": "refuse-all"}, **JSON)
    b.force_login(person)
    page = shown(b.get(PAGE))
    assert page["granted"] == "-" and not page["notice"] and choice_of(b).granted == frozenset()
    assert AccountChoice.objects.get().granted == ["embeds", "statistics"]  # a signed-out choice stays home


def test_a_new_charter_version_asks_again_on_every_device(follow, person):
    a = browser(person)
    a.post(CONSENT, {"choice": "accept-all"}, **JSON)
    AccountChoice.objects.update(consent_version="0000000000")
    page = shown(browser(person).get(PAGE))
    assert page["banner"] and not page["notice"]


def test_the_first_layer_says_a_signed_in_choice_applies_everywhere(follow, person, settings):
    sentence = "Votre choix suivra votre compte sur tous vos appareils"
    assert sentence not in browser().get(PAGE).content.decode()
    assert sentence in browser(person).get(PAGE).content.decode()
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "FOLLOW_ACCOUNT": False}
    assert sentence not in browser(person).get(PAGE).content.decode()


def test_a_signed_out_visitor_costs_no_query(follow, django_assert_num_queries):
    client = browser()
    with django_assert_num_queries(0):
        assert shown(client.get(PAGE))["banner"]


def test_an_account_whose_choice_cannot_be_read_leaves_the_browsers_own(follow, person, monkeypatch):
    a = browser(person)
    a.post(CONSENT, {"choice": "accept-all"}, **JSON)

    def broken(*args, **kwargs):
        raise DatabaseError("the database is down")

    monkeypatch.setattr("cookiecharter.accounts.stored", broken)
    response = browser(person).get(PAGE)
    assert response.status_code == 200 and shown(response)["banner"]


def test_deleting_the_account_deletes_its_choices_but_not_the_proof(follow, person):
    browser(person).post(CONSENT, {"choice": "accept-all"}, **JSON)
    person.delete()
    assert not AccountChoice.objects.exists() and methods() == ["accept-all"]


def test_a_choice_posted_on_a_device_wins_over_the_account_in_the_same_request(follow, person):
    a, b = browser(person), browser(person)
    a.post(CONSENT, {"choice": "accept-all"}, **JSON)
    AccountChoice.objects.update(decided_at=timezone.now() - timedelta(minutes=5))
    answer = b.post(CONSENT, {"choice": "refuse-all"}, **JSON)
    assert answer.json()["granted"] == [] and choice_of(b).granted == frozenset()
    assert "account" not in methods()


def test_the_setting_off_leaves_every_browser_to_itself(person, settings):
    settings.ROOT_URLCONF = "tests.django.account_urls"
    browser(person).post(CONSENT, {"choice": "refuse-all"}, **JSON)
    assert not AccountChoice.objects.exists()
    assert shown(browser(person).get(PAGE))["banner"]
    assert [p.key for p in charter().consent_purposes] == ["statistics", "embeds"]


@pytest.mark.django_db(transaction=True)
def test_served_asynchronously_the_account_still_applies(follow, person):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    browser(person).post(CONSENT, {"choice": "refuse-all"}, **JSON)
    other = AsyncClient()
    other.force_login(person)
    response = async_to_sync(other.get)(PAGE)
    assert response.status_code == 200 and "data-cookiecharter-notice" in response.content.decode()
    assert read(response.cookies["cookies_preferences"].value).granted == frozenset()
