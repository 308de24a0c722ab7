"""The charter page shows the visitor their own consent id and latest proof record, nobody else's."""

from __future__ import annotations

import pytest

from cookiecharter.models import ConsentRecord

pytestmark = pytest.mark.django_db


def test_without_a_decision_the_page_says_so(client):
    html = client.get("/en/cookies/").content.decode()
    assert "You have not made a choice on this site yet" in html


def test_after_a_decision_the_page_shows_the_id_and_record(client):
    client.post("/fr/cookies/consent/", {"choice": "custom", "purpose": "statistics"})
    record = ConsentRecord.objects.get()
    html = client.get("/en/cookies/").content.decode()
    assert record.consent_id in html
    assert record.record_hash[:16] in html
    assert "Audience measurement</dt><dd>accepted" in html
    assert "Embedded content (map)</dt><dd>refused" in html
    assert "you chose purpose by purpose" in html
    french = client.get("/fr/cookies/").content.decode()
    assert "Votre identifiant de consentement est" in french and record.consent_id in french


def test_the_latest_record_is_shown(client):
    client.post("/fr/cookies/consent/", {"choice": "accept-all"})
    client.post("/fr/cookies/consent/", {"choice": "refuse-all"})
    html = client.get("/en/cookies/").content.decode()
    assert "you withdrew a consent" in html and "you accepted everything" not in html


def test_another_visitors_id_is_not_shown(client):
    from django.test import Client

    other = Client()
    other.post("/fr/cookies/consent/", {"choice": "accept-all"})
    theirs = ConsentRecord.objects.get().consent_id
    html = client.get("/en/cookies/").content.decode()
    assert theirs not in html
