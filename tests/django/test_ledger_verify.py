"""cookiecharter_verify against edits made in SQL behind the app's back (sealed and unsealed).

Runs on whatever database the settings give: SQLite here, PostgreSQL again through
test_ledger_postgres.py.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cookiecharter import ledger
from cookiecharter.core.consent import Consent, Method, new_consent_id
from cookiecharter.models import CharterVersion, ConsentRecord, LedgerSeal
from tests.django.site import default_site

URL = "/fr/cookies/consent/"
TABLE = ConsentRecord._meta.db_table

pytestmark = pytest.mark.django_db


def verify() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("cookiecharter_verify", "--settle", "0", stdout=out)
    except CommandError as exc:
        assert exc.returncode == 1
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def ledger_of_12(client):
    """12 decisions through the endpoint; the first 10 sealed in two seals of 5."""
    for i in range(12):
        choice = ["accept-all", "refuse-all", "custom"][i % 3]
        client.cookies.clear()
        assert client.post(URL, {"choice": choice, "purpose": "statistics"}).status_code == 303
    call_command("cookiecharter_seal", "--grace", "0", "--batch", "5", "--full-batches-only", stdout=io.StringIO())
    ids = list(ConsentRecord.objects.order_by("id").values_list("id", flat=True))
    assert LedgerSeal.objects.count() == 2
    assert LedgerSeal.objects.order_by("number").last().last_id == ids[9]
    return ids


def test_clean_ledger_verifies(ledger_of_12):
    ok, out = verify()
    assert ok, out
    assert "12 records, 2 seals (10 records sealed" in out


@pytest.mark.parametrize("position", [2, 11], ids=["sealed", "unsealed"])
def test_update_in_sql_is_reported(ledger_of_12, position):
    rid = ledger_of_12[position]
    sql(f"UPDATE {TABLE} SET method = %s WHERE id = %s", ["accept-all", rid])
    ok, out = verify()
    assert not ok
    assert f"altered: record {rid} does not match its hash" in out


def test_update_of_the_json_choices_is_reported(ledger_of_12):
    rid = ledger_of_12[4]
    sql(f"UPDATE {TABLE} SET choices = %s WHERE id = %s", ['{"statistics": true, "embeds": true}', rid])
    ok, out = verify()
    assert not ok and f"record {rid}" in out


def test_update_of_the_time_is_reported(ledger_of_12):
    rid = ledger_of_12[11]
    record = ConsentRecord.objects.get(id=rid)
    # Through the ORM but bypassing the app's writer: a back-dated decision.
    ConsentRecord.objects.filter(id=rid).update(created_at=record.created_at - timedelta(days=1))
    ok, out = verify()
    assert not ok and f"altered: record {rid}" in out


@pytest.mark.parametrize("position", [3, 11], ids=["sealed", "unsealed"])
def test_record_moved_to_another_charter_version_is_reported(ledger_of_12, position):
    """A record says which charter the visitor was shown by pointing to its version: pointing it to
    another version changes what it proves."""
    rid = ledger_of_12[position]
    shown = ConsentRecord.objects.get(id=rid).charter_version
    other = CharterVersion.objects.create(
        digest="0" * 64, consent_version="0", data={}, first_shown_at=shown.first_shown_at
    )
    sql(f"UPDATE {TABLE} SET charter_version_id = %s WHERE id = %s", [other.pk, rid])
    ok, out = verify()
    assert not ok
    assert f"altered: record {rid} does not match its hash" in out
    assert out.count("altered:") == 1


def test_charter_version_whose_digest_is_edited_shows_on_its_records(ledger_of_12):
    version = ConsentRecord.objects.get(id=ledger_of_12[0]).charter_version
    sql(f"UPDATE {CharterVersion._meta.db_table} SET digest = %s WHERE id = %s", ["f" * 64, version.pk])
    ok, out = verify()
    assert not ok
    assert all(f"altered: record {rid} does not match its hash" in out for rid in ledger_of_12)


def test_delete_of_a_sealed_record_is_named(ledger_of_12):
    rid = ledger_of_12[6]
    sql(f"DELETE FROM {TABLE} WHERE id = %s", [rid])
    ok, out = verify()
    assert not ok
    assert f"deleted: record {rid} (sealed by seal 2) is missing" in out


@pytest.mark.parametrize("position", [10, 11], ids=["middle", "newest"])
def test_delete_of_an_unsealed_record_is_reported(ledger_of_12, position):
    rid = ledger_of_12[position]
    sql(f"DELETE FROM {TABLE} WHERE id = %s", [rid])
    ok, out = verify()
    assert not ok
    assert f"deleted: record {rid} missing from the unsealed tail" in out


def test_copied_row_is_reported_as_inserted(ledger_of_12):
    cols = "site, consent_id, created_at, charter_version_id, texts_digest, language, choices, method, user_id, record_hash"
    sql(f"INSERT INTO {TABLE} ({cols}) SELECT {cols} FROM {TABLE} WHERE id = %s", [ledger_of_12[3]])
    ok, out = verify()
    assert not ok and "inserted: record" in out and f"copy of record {ledger_of_12[3]}" in out


def test_removed_seal_is_reported(ledger_of_12):
    sql(f"DELETE FROM {LedgerSeal._meta.db_table} WHERE number = 1")
    ok, out = verify()
    assert not ok and "seal" in out


def test_record_hash_replaced_inside_a_seal_is_reported(ledger_of_12):
    a, b = ledger_of_12[0], ledger_of_12[1]
    # Swap two records' contents wholesale (each stays self-consistent): the seal notices.
    rows = {r.id: r for r in ConsentRecord.objects.filter(id__in=[a, b])}
    fields = ["consent_id", "created_at", "texts_digest", "language", "choices", "method", "user_id", "record_hash"]
    ConsentRecord.objects.filter(id=a).update(**{f: getattr(rows[b], f) for f in fields})
    ConsentRecord.objects.filter(id=b).update(**{f: getattr(rows[a], f) for f in fields})
    ok, out = verify()
    assert not ok and "not the ones it sealed" in out


def test_automatic_sealing_when_a_batch_fills(client, settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_SEAL_BATCH": 3}
    site = default_site()
    charter = site.charter
    old = timezone.now() - timedelta(minutes=5)
    for _ in range(6):  # older than the grace period, so a full batch is sealable at once
        consent = Consent(new_consent_id(), old.replace(microsecond=0), charter.consent_version, frozenset())
        ledger.append(
            site,
            consent=consent,
            method=Method.REFUSE_ALL,
            language="fr",
            choices=ledger.choices_for(charter, frozenset()),
            created_at=old,
        )
    assert not LedgerSeal.objects.exists()
    # The request that fills a batch seals after its response (request_finished).
    ids = []
    while True:
        client.cookies.clear()
        client.post(URL, {"choice": "refuse-all"})
        ids.append(ConsentRecord.objects.order_by("-id").values_list("id", flat=True).first())
        if ids[-1] % 3 == 0:
            break
    assert LedgerSeal.objects.count() >= 2
    assert verify()[0]


def test_prune_deletes_whole_old_seals_and_verify_stays_clean(settings):
    site = default_site()
    charter = site.charter
    now = timezone.now()
    for age_days in (400, 399, 398, 397, 3, 2, 1):
        when = now - timedelta(days=age_days)
        consent = Consent(new_consent_id(), when.replace(microsecond=0), charter.consent_version, frozenset())
        ledger.append(
            site,
            consent=consent,
            method=Method.REFUSE_ALL,
            language="fr",
            choices=ledger.choices_for(charter, frozenset()),
            created_at=when,
        )
    ledger.seal_pending("default", batch=2, partial=True, grace_seconds=0)
    # Seals: [400,399] [398,397] [3,2] [1]
    out = io.StringIO()
    call_command("cookiecharter_prune", "--days", "365", stdout=out)
    assert "pruned 4 records" in out.getvalue()
    assert ConsentRecord.objects.count() == 3
    assert LedgerSeal.objects.filter(pruned_at__isnull=False).count() == 2
    ok, text = verify()
    assert ok, text
    assert "2 seals pruned" in text
    # Faking a pruning to hide a deletion does not work.
    seal = LedgerSeal.objects.get(number=3)
    ConsentRecord.objects.filter(id__gte=seal.first_id, id__lte=seal.last_id).delete()
    LedgerSeal.objects.filter(number=3).update(pruned_at=now)
    ok, text = verify()
    assert not ok and "pruning is not genuine" in text


def test_prune_default_days_comes_from_settings(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_RETENTION_DAYS": 10}
    site = default_site()
    charter = site.charter
    when = timezone.now() - timedelta(days=11)
    consent = Consent(new_consent_id(), when.replace(microsecond=0), charter.consent_version, frozenset())
    ledger.append(
        site,
        consent=consent,
        method=Method.REFUSE_ALL,
        language="fr",
        choices=ledger.choices_for(charter, frozenset()),
        created_at=when,
    )
    out = io.StringIO()
    call_command("cookiecharter_prune", stdout=out)
    assert "pruned 1 records older than 10 days" in out.getvalue()
    assert verify()[0]


def test_rotated_secret_key_keeps_cookies_and_ledger_valid(client, settings, ledger_of_12):
    response = client.post(URL, {"choice": "accept-all"})
    value = response.cookies["cookies_preferences"].value
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-for-the-rotation-test-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old]
    ok, out = verify()
    assert ok, out  # records and seals made with the old key still verify
    client.cookies["cookies_preferences"] = value
    again = client.post(URL, {"choice": "refuse-all"})
    assert ConsentRecord.objects.order_by("-id").first().method == "withdraw"  # the old cookie was read
    settings.SECRET_KEY_FALLBACKS = []
    ok, out = verify()
    assert not ok and "altered" in out  # without the old key nothing old can be vouched for
    assert again.status_code == 303
