"""When the database fails, the site keeps its promises in the visitor's favour (issue 12, problem 5):
a refusal, a withdrawal or a browser signal takes effect at once and its proof waits outside the
database; an acceptance is never granted without its proof (503 with Retry-After); pages never fail
because the ledger cannot be written or read. The failures are real: the SQLite file is locked by
another connection, or the ledger's table is gone."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from cookiecharter.core.consent import BROWSER_SIGNAL_MARK
from cookiecharter.models import ConsentRecord
from tests.django.site import read

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/fr/cookies/consent/"


@pytest.fixture
def ledger_dir(settings, tmp_path):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_DIRECTORY": str(tmp_path), "LEDGER_SEAL_GRACE": 0}
    return tmp_path


@contextmanager
def locked_database():
    """Another process's write lock on the SQLite file, held until the block ends. This process's
    connection gives up after a short wait (its busy timeout), as a site's would after its own."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=5, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def pending(directory) -> list[dict]:
    path = directory / "pending.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_refusal_takes_effect_and_its_proof_waits_then_lands(ledger_dir):
    client = Client()
    with locked_database():
        response = client.post(URL, {"choice": "refuse-all", "next": "/fr/cookies/"})
    assert response.status_code == 303
    consent = read(response.cookies["cookies_preferences"].value)
    assert consent.decided and consent.granted == frozenset()
    assert not ConsentRecord.objects.exists()
    (waiting,) = pending(ledger_dir)
    assert (waiting["method"], waiting["consent_id"]) == ("refuse-all", consent.consent_id)
    # The database answers again: the next choice of any visitor writes its own record, and what
    # waited once its response is out, with the time it was made.
    assert Client().post(URL, {"choice": "accept-all"}).status_code == 303
    by_time = list(ConsentRecord.objects.order_by("created_at").values_list("consent_id", "method"))
    assert by_time == [(consent.consent_id, "refuse-all"), (by_time[1][0], "accept-all")]
    assert pending(ledger_dir) == []
    # Written as it was kept: the hash made when the choice was made, which verify checks.
    assert ConsentRecord.objects.get(consent_id=consent.consent_id).record_hash == waiting["record_hash"]


def test_an_acceptance_is_not_granted_without_its_proof(ledger_dir):
    client = Client()
    with locked_database():
        page = client.post(URL, {"choice": "accept-all", "next": "/fr/cookies/"})
        api = client.post(URL, {"choice": "custom", "purpose": "statistics"}, HTTP_ACCEPT="application/json")
    assert page.status_code == 503 and page["Retry-After"] == "60"
    assert "cookies_preferences" not in page.cookies
    html = page.content.decode()
    assert "Votre choix n’a pas pu être enregistré" in html and 'href="/fr/cookies/"' in html
    assert api.status_code == 503 and api.json()["retry_after"] == 60 and "cookies_preferences" not in api.cookies
    assert "no-store" in page["Cache-Control"]
    assert pending(ledger_dir) == [] and not ConsentRecord.objects.exists()


def test_a_withdrawal_takes_effect_at_once_and_deletes_the_withdrawn_cookies(ledger_dir):
    client = Client()
    client.post(URL, {"choice": "accept-all"})
    client.cookies["portal_audience"] = "a1"
    with locked_database():
        response = client.post(URL, {"choice": "refuse-all"})
    assert response.status_code == 303
    assert read(response.cookies["cookies_preferences"].value).granted == frozenset()
    assert response.cookies["portal_audience"]["max-age"] == 0  # deleted on this very response
    assert [e["method"] for e in pending(ledger_dir)] == ["withdraw"]


def test_a_browser_signal_takes_effect_on_a_page_while_the_database_is_locked(ledger_dir):
    with locked_database():
        response = Client().get("/fr/cookies/", HTTP_SEC_GPC="1")
    assert response.status_code == 200
    assert response.cookies["cookies_preferences"].value.split(".")[3] == BROWSER_SIGNAL_MARK
    assert [e["method"] for e in pending(ledger_dir)] == ["browser-signal"]


def test_the_charter_page_of_a_visitor_who_chose_never_fails_when_the_ledger_cannot_be_read():
    client = Client()
    client.post(URL, {"choice": "refuse-all"})
    table = ConsentRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        response = client.get("/fr/cookies/")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ne peut pas être affiché pour le moment" in html
    assert read(client.cookies["cookies_preferences"].value).consent_id in html  # their id is still shown


def test_without_a_ledger_directory_a_refusal_still_takes_effect_and_its_proof_goes_to_the_log(caplog, settings):
    settings.COOKIECHARTER = {k: v for k, v in settings.COOKIECHARTER.items() if k != "LEDGER_DIRECTORY"}
    with locked_database():
        response = Client().post(URL, {"choice": "refuse-all"})
    assert response.status_code == 303 and "cookies_preferences" in response.cookies
    (record,) = [r for r in caplog.records if "only in this log" in r.getMessage()]
    assert '"method": "refuse-all"' in record.getMessage()


def test_the_package_endpoints_cannot_be_framed_or_kept_by_a_shared_cache():
    client = Client()
    for response in (
        client.post(URL, {"choice": "refuse-all"}),
        client.get("/fr/cookies/preferences/", {"next": "/fr/"}),
        client.post(URL, {"choice": "nonsense"}),
    ):
        assert response["X-Frame-Options"] == "DENY"
        assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_page_that_depends_on_the_visitors_choice_varies_on_the_cookie():
    client = Client()
    banner = client.get("/fr/cookies/")  # the banner: a first visit
    assert "Cookie" in banner["Vary"]
    client.post(URL, {"choice": "refuse-all"})
    decided = client.get("/fr/cookies/")  # no banner now: the same URL, another page
    assert "Cookie" in decided["Vary"]


def test_a_locked_sqlite_file_costs_a_bounded_wait_and_readers_never_wait():
    from cookiecharter.ledger import SQLITE_BUSY_TIMEOUT_MS

    connection.close()
    connection.ensure_connection()  # a new connection, tuned as every new one is
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == SQLITE_BUSY_TIMEOUT_MS <= 2000
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=5, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert Client().get("/fr/cookies/").status_code == 200  # a page that only reads
    finally:
        other.execute("ROLLBACK")
        other.close()
