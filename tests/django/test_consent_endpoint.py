"""The consent endpoint through Django's test client: forms, JSON, CSRF, errors, withdrawal, GPC."""

from __future__ import annotations

import pytest
from django.test import Client

from cookiecharter.models import ConsentRecord
from tests.django.site import charter, read

URL = "/fr/cookies/consent/"
CSRF = "a" * 32  # an unmasked CSRF secret: valid both as the cookie and as the form token

pytestmark = pytest.mark.django_db


def cookie_value(response) -> str:
    return response.cookies["cookies_preferences"].value


def only_record() -> ConsentRecord:
    records = list(ConsentRecord.objects.all())
    assert len(records) == 1, records
    return records[0]


@pytest.mark.parametrize(
    "data, granted, method",
    [
        ({"choice": "accept-all"}, {"statistics", "embeds"}, "accept-all"),
        ({"choice": "refuse-all"}, set(), "refuse-all"),
        ({"choice": "custom", "purpose": ["statistics"]}, {"statistics"}, "custom"),
        ({"choice": "custom"}, set(), "custom"),
    ],
)
def test_form_post_redirects_sets_cookie_and_records_once(client, data, granted, method):
    response = client.post(URL, {**data, "next": "/fr/cookies/?x=1"})
    assert response.status_code == 303
    assert response["Location"] == "/fr/cookies/?x=1"
    morsel = response.cookies["cookies_preferences"]
    assert morsel["max-age"] == 15_778_800  # the same for a refusal as for a consent
    assert morsel["path"] == "/" and morsel["samesite"] == "Lax"
    assert not morsel["httponly"]  # the page script reads it
    consent = read(morsel.value)
    assert consent.decided and consent.granted == granted
    record = only_record()
    assert record.method == method
    assert record.consent_id == consent.consent_id
    assert record.choices == {"statistics": "statistics" in granted, "embeds": "embeds" in granted}
    assert record.language == "fr"
    assert record.charter_version.consent_version == charter().consent_version
    assert record.charter_version.digest == charter().digest
    assert record.user_id is None


def test_json_answer_follows_the_contract(client):
    response = client.post(URL, {"choice": "custom", "purpose": "embeds"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"consent_id", "decided_at", "consent_version", "granted", "method"}
    assert body["granted"] == ["embeds"] and body["method"] == "custom"
    assert body["consent_version"] == charter().consent_version
    assert read(cookie_value(response)).consent_id == body["consent_id"] == only_record().consent_id


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://evil.example/fr/",
        "javascript:alert(1)",
        "",
        "///evil.example",
    ],
)
def test_no_open_redirect(client, target):
    response = client.post(URL, {"choice": "refuse-all", "next": target})
    assert response.status_code == 303
    assert response["Location"] == "/"


def test_same_site_absolute_url_is_allowed(client):
    response = client.post(URL, {"choice": "refuse-all", "next": "http://testserver/en/cookies/"})
    assert response["Location"] == "http://testserver/en/cookies/"


def test_csrf_is_enforced():
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(URL, {"choice": "accept-all"})
    assert refused.status_code == 403
    assert "cookies_preferences" not in refused.cookies
    assert not ConsentRecord.objects.exists()
    strict.cookies["csrftoken"] = CSRF
    ok = strict.post(URL, {"choice": "accept-all", "csrfmiddlewaretoken": CSRF})
    assert ok.status_code == 303
    ok_json = strict.post(URL, {"choice": "refuse-all"}, HTTP_X_CSRFTOKEN=CSRF, HTTP_ACCEPT="application/json")
    assert ok_json.status_code == 200
    assert ConsentRecord.objects.count() == 2


def test_csrf_is_enforced_even_without_the_csrf_middleware(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("CsrfViewMiddleware")]
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL, {"choice": "accept-all"}).status_code == 403
    assert not ConsentRecord.objects.exists()
    strict.cookies["csrftoken"] = CSRF
    assert strict.post(URL, {"choice": "accept-all", "csrfmiddlewaretoken": CSRF}).status_code == 303
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize(
    "data, reason",
    [
        ({}, "choice"),
        ({"choice": "accept-everything"}, "accept-everything"),
        ({"choice": "custom", "purpose": ["statistics", "advertising"]}, "advertising"),
        ({"choice": "custom", "purpose": ["necessary"]}, "necessary"),
    ],
)
def test_bad_input_is_a_400_with_a_reason_and_records_nothing(client, data, reason):
    as_text = client.post(URL, data)
    assert as_text.status_code == 400
    assert reason in as_text.content.decode()
    as_json = client.post(URL, data, HTTP_ACCEPT="application/json")
    assert as_json.status_code == 400 and reason in as_json.json()["error"]
    assert "cookies_preferences" not in as_text.cookies and "cookies_preferences" not in as_json.cookies
    assert not ConsentRecord.objects.exists()


def test_only_post(client):
    assert client.get(URL).status_code == 405
    assert client.put(URL).status_code == 405
    assert not ConsentRecord.objects.exists()


def test_withdrawal_is_detected_and_the_consent_id_kept(client):
    first = client.post(URL, {"choice": "accept-all"})
    cid = read(cookie_value(first)).consent_id
    second = client.post(URL, {"choice": "custom", "purpose": "embeds"})  # statistics withdrawn
    third = client.post(URL, {"choice": "custom", "purpose": ["embeds", "statistics"]})  # granted again
    fourth = client.post(URL, {"choice": "refuse-all"})  # both withdrawn
    methods = list(ConsentRecord.objects.order_by("id").values_list("method", "consent_id"))
    assert methods == [("accept-all", cid), ("withdraw", cid), ("custom", cid), ("withdraw", cid)]
    for response in (second, third, fourth):
        assert read(cookie_value(response)).consent_id == cid


def test_refusal_after_refusal_is_not_a_withdrawal(client):
    client.post(URL, {"choice": "refuse-all"})
    client.post(URL, {"choice": "refuse-all"})
    assert list(ConsentRecord.objects.values_list("method", flat=True)) == ["refuse-all", "refuse-all"]


def test_garbled_cookie_starts_a_new_consent_id_and_is_no_withdrawal(client):
    client.cookies["cookies_preferences"] = "AAAAAAAAAAAAAAAA.0.0123456789.statistics+embeds.AAAAAAAAAAAAAAAAAAAAAA"
    response = client.post(URL, {"choice": "refuse-all"})
    assert response.status_code == 303
    record = only_record()
    assert record.method == "refuse-all" and record.consent_id != "AAAAAAAAAAAAAAAA"


def test_signed_in_user_id_is_recorded(client, django_user_model):
    user = django_user_model.objects.create_user("alice", password="x")
    client.force_login(user)
    client.post(URL, {"choice": "accept-all"})
    assert only_record().user_id == str(user.pk)


def test_record_carries_the_page_language(client):
    client.post("/en/cookies/consent/", {"choice": "accept-all"})
    record = only_record()
    assert record.language == "en"
    from cookiecharter.core.proof import texts_digest

    assert record.texts_digest == texts_digest(charter(), "en")
    assert record.charter_version.data == charter().as_data()


def test_charter_version_is_stored_once(client):
    for _ in range(3):
        client.post(URL, {"choice": "accept-all"})
    from cookiecharter.models import CharterVersion

    assert CharterVersion.objects.count() == 1
    assert ConsentRecord.objects.count() == 3


def test_no_ip_address_and_no_user_agent_are_stored(client):
    client.post(
        URL,
        {"choice": "accept-all"},
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) UniqueAgent/9.9",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
    )
    from django.core import serializers

    stored = serializers.serialize("json", ConsentRecord.objects.all())
    assert "203.0.113" not in stored and "198.51.100" not in stored
    assert "UniqueAgent" not in stored and "Mozilla" not in stored
    assert {f.name for f in ConsentRecord._meta.fields} == {
        "id",
        "site",
        "consent_id",
        "created_at",
        "charter_version",
        "texts_digest",
        "language",
        "choices",
        "method",
        "user_id",
        "record_hash",
    }
