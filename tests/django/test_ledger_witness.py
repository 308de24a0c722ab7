"""The threat model of docs/ledger.md, row by row: what each attacker can do to the proof, and what
``cookiecharter_verify`` then says. The witness (LEDGER_DIRECTORY/witness.jsonl) covers the end of
the chain, which the database alone cannot prove."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cookiecharter import ledger
from cookiecharter.core import proof as core
from cookiecharter.models import ConsentRecord, LedgerSeal
from tests.django.ledger_steps import choose, keep_files_in, seal, sql

RECORDS = ConsentRecord._meta.db_table
SEALS = LedgerSeal._meta.db_table

pytestmark = pytest.mark.django_db


@pytest.fixture
def witnessed(settings, tmp_path):
    keep_files_in(settings, tmp_path)
    return tmp_path


def verify() -> tuple[bool, list[str]]:
    out = io.StringIO()
    try:
        call_command("cookiecharter_verify", "--settle", "0", stdout=out)
    except CommandError:
        return False, [line for line in out.getvalue().splitlines() if line.startswith("default: ")]
    return True, []


@pytest.fixture
def chain(witnessed):
    """Six records, two seals of three, each seal written down in the witness."""
    ids = choose(6)
    seal()
    assert LedgerSeal.objects.count() == 2
    lines = (witnessed / "witness.jsonl").read_text().splitlines()
    assert [json.loads(line)["seal"] for line in lines] == [1, 2]
    assert json.loads(lines[1])["sealed"] == 6 and json.loads(lines[1])["last_id"] == ids[5]
    assert verify() == (True, [])
    return ids


# -- someone with write access to the database, without the key --------------------------------


def test_deleting_the_newest_seal_shows(chain):
    sql(f"DELETE FROM {SEALS} WHERE number = 2")
    ok, problems = verify()
    assert not ok
    assert len(problems) == 1 and "seal 2, which the witness saw" in problems[0] and "the chain was cut" in problems[0]


def test_deleting_a_sealed_batch_and_resetting_the_sequence_shows(chain):
    sql(f"DELETE FROM {RECORDS} WHERE id >= %s", [chain[3]])
    sql(f"DELETE FROM {SEALS} WHERE number = 2")
    sql("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [chain[2], RECORDS])
    ok, problems = verify()
    assert not ok
    # One clear problem: three sealed choices vanished without a trace in the database itself.
    assert len(problems) == 1 and f"covering records up to id {chain[5]}, 6 sealed in all" in problems[0]


def test_deleting_the_oldest_seal_is_a_few_clear_problems_not_one_per_record(chain):
    sql(f"DELETE FROM {SEALS} WHERE number = 1")
    ok, problems = verify()
    assert not ok and len(problems) <= 4, problems
    assert any(f"records {chain[0]}-{chain[2]} (3) lie between two seals" in p for p in problems)
    assert any("seal 1, which the witness saw" in p for p in problems)


def test_deleting_a_sealed_batch_is_one_problem(chain):
    sql(f"DELETE FROM {RECORDS} WHERE id BETWEEN %s AND %s", [chain[3], chain[5]])
    ok, problems = verify()
    assert not ok
    assert problems == [f"default: deleted: records {chain[3]}-{chain[5]} (3) (sealed by seal 2) are missing"]


def test_editing_copying_or_forging_a_record_shows(chain):
    sql(f"UPDATE {RECORDS} SET choices = %s WHERE id = %s", ['{"statistics": true, "embeds": true}', chain[1]])
    cols = "site, consent_id, created_at, charter_version_id, texts_digest, language, choices, method, user_id, record_hash"
    sql(f"INSERT INTO {RECORDS} ({cols}) SELECT {cols} FROM {RECORDS} WHERE id = %s", [chain[4]])
    ok, problems = verify()
    assert not ok
    assert any(f"record {chain[1]} does not match its hash" in p for p in problems)
    assert any(f"is a copy of record {chain[4]}" in p for p in problems)


def test_a_line_added_to_the_witness_without_the_key_is_reported(chain, witnessed):
    with (witnessed / "witness.jsonl").open("a") as f:
        f.write(
            json.dumps(
                {
                    "site": "default",
                    "seal": 3,
                    "seal_hash": "0" * 64,
                    "last_id": 99,
                    "sealed": 9,
                    "at": "2026-12-01T00:00:00.000000Z",
                    "v": 1,
                    "mac": "f" * 64,
                }
            )
            + "\n"
        )
    ok, problems = verify()
    assert not ok and problems == [
        "default: seal: witness line 3 is not a genuine checkpoint: its signature does not match"
    ]


# -- someone who also holds the key (SECRET_KEY) -----------------------------------------------


def test_a_seal_rewritten_with_the_key_still_differs_from_the_witness(chain):
    # Drop one sealed choice and re-make seal 2 over what is left, signed with the real key: the
    # chain in the database is consistent again, but the witness saw another seal 2.
    sql(f"DELETE FROM {RECORDS} WHERE id = %s", [chain[4]])
    old = LedgerSeal.objects.get(number=2)
    records = list(ConsentRecord.objects.filter(id__gte=old.first_id).order_by("id").values_list("id", "record_hash"))
    fields, seal_hash = core.make_seal(
        ledger.ledger_keys()[0], number=2, records=records, previous_hash=old.previous_hash, created_at=old.created_at
    )
    LedgerSeal.objects.filter(pk=old.pk).update(**dataclasses.asdict(fields), seal_hash=seal_hash)
    ok, problems = verify()
    assert not ok and problems == [
        f"default: seal: seal 2 is not the one the witness saw on {core.canonical_time(old.created_at)} (rewritten)"
    ]


def test_limit_records_after_the_last_checkpoint_are_covered_by_the_sequence_only(chain):
    # Documented limit: a record newer than the last seal is only covered by the id sequence. Deleted
    # with the sequence reset by someone with database access, it leaves no trace; sealing by time
    # (LEDGER_SEAL_INTERVAL) keeps that window short.
    newer = choose(1)[-1]
    sql(f"DELETE FROM {RECORDS} WHERE id = %s", [newer])
    assert not verify()[0]  # the sequence's high-water mark still shows it ...
    sql("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [chain[5], RECORDS])
    assert verify() == (True, [])  # ... until it is reset too


# -- sealing by time ---------------------------------------------------------------------------


def test_a_burst_is_sealed_by_time_and_each_seal_is_witnessed(witnessed, settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_SEAL_INTERVAL": 0.001, "LEDGER_SEAL_BATCH": 1000}
    ids = choose(12)
    # Far fewer than a batch, yet sealed: every response found the last sealing older than the interval.
    sealed = sum(LedgerSeal.objects.values_list("count", flat=True))
    assert sealed == len(ids)
    lines = (witnessed / "witness.jsonl").read_text().splitlines()
    assert len(lines) == LedgerSeal.objects.count()
    assert verify() == (True, [])


def test_without_a_ledger_directory_verify_still_works_and_check_w009_says_what_is_missing(settings):
    from django.core.checks import run_checks

    settings.COOKIECHARTER = {k: v for k, v in settings.COOKIECHARTER.items() if k != "LEDGER_DIRECTORY"}
    choose(2)
    assert verify() == (True, [])
    (warning,) = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.W009"]
    assert "LEDGER_DIRECTORY" in warning.hint
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_DIRECTORY": "/tmp"}
    assert "cookiecharter.W009" not in {m.id for m in run_checks(tags=["cookiecharter"])}


def test_the_overview_shows_the_witness_and_what_waits(witnessed, client, django_user_model):
    choose(3)
    seal()
    (witnessed / "pending.jsonl").write_text("")
    client.force_login(django_user_model.objects.create_superuser("dpo", "d@example.org", "pw"))
    client.post("/admin/cookiecharter/complianceoverview/verify/", {"site": "default"})
    html = client.get("/admin/cookiecharter/complianceoverview/").content.decode()
    assert 'data-witnessed="1"' in html and 'data-pending="0"' in html
