"""A repeated verification reads only the records added since the last clean one (docs/ledger.md,
"Verifying a large ledger"): what it still catches, what only ``--full`` does, and that its
checkpoint, kept outside the database, cannot be forged or borrowed from the witness.

Runs on whatever database the settings give: SQLite here, PostgreSQL again through
test_ledger_postgres.py.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from cookiecharter import ledger
from cookiecharter.models import ConsentRecord, LedgerSeal
from tests.django.ledger_steps import choose, keep_files_in, seal, sql

RECORDS = ConsentRecord._meta.db_table
SEALS = LedgerSeal._meta.db_table

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(settings, tmp_path):
    keep_files_in(settings, tmp_path)
    return tmp_path


def verify(*args: str) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("cookiecharter_verify", "--settle", "0", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


@pytest.fixture
def verified(folder):
    """Six records in two seals, verified clean once (a full run: there was no checkpoint yet),
    then three more records in a third seal."""
    ids = choose(6)
    seal()
    ok, out = verify()
    assert ok and "incremental" not in out, out
    lines = (folder / "verified.jsonl").read_text().splitlines()
    assert [(json.loads(x)["seal"], json.loads(x)["last_id"]) for x in lines] == [(2, ids[5])]
    ids = choose(3)
    seal()
    assert len(ids) == 9
    return ids


def test_a_repeated_verification_reads_only_what_was_added(verified):
    report = ledger.verify("default")
    assert report.ok, report.problems
    assert (report.since_seal, report.records, report.not_reread, report.sealed_records) == (2, 3, 6, 9)
    ok, out = verify()
    assert ok and "incremental: records after seal 3" in out and "the 9 before it" in out, out
    ok, out = verify("--full")
    assert ok and "9 records" in out and "incremental" not in out, out


def test_a_tampered_record_added_after_the_checkpoint_shows(verified):
    sql(f"UPDATE {RECORDS} SET method = %s WHERE id = %s", ["custom", verified[7]])
    report = ledger.verify("default")
    assert [str(p) for p in report.problems] == [
        f"altered: record {verified[7]} does not match its hash (edited or forged)"
    ]
    # Found, it is reported as a full run reports it: everything was read again.
    assert report.since_seal is None and report.records == 9


def test_a_copy_of_an_old_record_added_after_the_checkpoint_shows(verified):
    cols = "site, consent_id, created_at, charter_version_id, texts_digest, language, choices, method, user_id, record_hash"
    sql(f"INSERT INTO {RECORDS} ({cols}) SELECT {cols} FROM {RECORDS} WHERE id = %s", [verified[1]])
    ok, out = verify()
    assert not ok and f"is a copy of record {verified[1]}" in out, out


@pytest.mark.parametrize("how", ["delete", "edit"])
def test_a_seal_before_the_checkpoint_deleted_or_edited_shows(verified, how):
    if how == "delete":
        sql(f"DELETE FROM {SEALS} WHERE number = 1")
    else:
        sql(f"UPDATE {SEALS} SET records_digest = %s WHERE number = 1", ["0" * 64])
    ok, out = verify()
    assert not ok, out
    expected = "seal 2 does not follow the seal before it" if how == "delete" else "seal 1 does not match its hash"
    assert expected in out, out


def test_a_record_before_the_checkpoint_deleted_shows_by_its_count(verified):
    sql(f"DELETE FROM {RECORDS} WHERE id = %s", [verified[4]])
    ok, out = verify()
    assert not ok
    # The count gave it away; the full run that followed names it.
    assert f"record {verified[4]} (sealed by seal 2) is missing" in out and "incremental" not in out, out


def test_an_edit_before_the_checkpoint_is_found_by_full_only(verified):
    """The documented trade-off: the incremental run does not read the older records again."""
    sql(f"UPDATE {RECORDS} SET method = %s WHERE id = %s", ["custom", verified[2]])
    ok, out = verify()
    assert ok and "incremental" in out, out
    ok, out = verify("--full")
    assert not ok and f"record {verified[2]} does not match its hash" in out, out


def test_the_checkpoint_cannot_be_forged_nor_borrowed_from_the_witness(verified, folder):
    sql(f"UPDATE {RECORDS} SET method = %s WHERE id = %s", ["custom", verified[7]])  # in seal 3
    # Copying the witness's line for seal 3 into the checkpoints would make seal 3 look verified.
    witness = (folder / "witness.jsonl").read_text().splitlines()
    with (folder / "verified.jsonl").open("a") as handle:
        handle.write(witness[2] + "\n")
    ok, out = verify()
    assert not ok
    assert "verification line 2 is not a genuine checkpoint: its signature does not match" in out, out
    assert f"record {verified[7]} does not match its hash" in out, out


def test_a_checkpoint_whose_seal_was_rewritten_is_not_trusted(verified, folder):
    sql(f"UPDATE {SEALS} SET seal_hash = %s WHERE number = 2", ["f" * 64])
    sql(f"UPDATE {RECORDS} SET method = %s WHERE id = %s", ["custom", verified[1]])  # before the checkpoint
    report = ledger.verify("default")
    assert report.since_seal is None and report.records == 9  # read again, all of it
    problems = [str(p) for p in report.problems]
    assert f"altered: record {verified[1]} does not match its hash (edited or forged)" in problems
    assert any(p.startswith("seal: seal 2 is not the one the witness saw") for p in problems), problems


def test_without_a_ledger_directory_every_run_is_full(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_DIRECTORY": None, "LEDGER_SEAL_GRACE": 0}
    choose(6)
    seal()
    assert verify() == (True, verify()[1])
    report = ledger.verify("default")
    assert report.ok and report.since_seal is None and report.records == 6


def test_the_fast_way_finds_what_the_verifier_as_it_was_finds(verified):
    cols = "site, consent_id, created_at, charter_version_id, texts_digest, language, choices, method, user_id, record_hash"
    sql(f"UPDATE {RECORDS} SET method = %s WHERE id = %s", ["custom", verified[1]])
    sql(f"DELETE FROM {RECORDS} WHERE id = %s", [verified[4]])
    sql(f"INSERT INTO {RECORDS} ({cols}) SELECT {cols} FROM {RECORDS} WHERE id = %s", [verified[7]])
    fast = ledger.verify("default", full=True)
    reference = ledger.verify_reference("default")
    assert [str(p) for p in reference.problems] and not reference.ok
    # The reference compares no witness: the fast run's problems are its, then the witness's.
    assert [str(p) for p in fast.problems][: len(reference.problems)] == [str(p) for p in reference.problems]
    assert (fast.records, fast.seals, fast.sealed_records) == (
        reference.records,
        reference.seals,
        reference.sealed_records,
    )


PAGE = "/admin/cookiecharter/complianceoverview/"


@pytest.mark.parametrize(
    ("language", "full", "incremental"),
    [
        (
            "fr",
            "Vérification complète : chaque enregistrement a été relu.",
            "Vérification incrémentale : les enregistrements ajoutés après le sceau 2",
        ),
        ("en", "Full: every record was read.", "Incremental: the records added after seal 2"),
    ],
)
def test_the_overview_button_verifies_incrementally_and_says_so(folder, django_user_model, language, full, incremental):
    choose(6)
    seal()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(django_user_model.objects.create_superuser("dpo", "dpo@example.org", "pw"))
    html = client.post(PAGE + "verify/", {"site": "default"}, follow=True).content.decode()
    assert 'data-verification-mode="full"' in html and full in html
    choose(3)
    seal()
    html = client.post(PAGE + "verify/", {"site": "default"}, follow=True).content.decode()
    assert 'data-verification-mode="incremental"' in html and incremental in html, html[html.find("cc-result") :][:1500]
    assert 'data-verification="clean"' in html


@pytest.mark.django_db(transaction=True)
def test_hashes_recomputed_in_several_processes_give_the_same_findings(folder, monkeypatch):
    """--jobs: the hashes are recomputed by forked processes, each with its own connection (so not
    inside a test's transaction: this test commits, and the database is emptied after it)."""
    monkeypatch.setattr(ledger, "PARALLEL_FROM", 1)
    ids = choose(12)
    seal()
    sql(f"UPDATE {RECORDS} SET method = %s WHERE id IN (%s, %s)", ["custom", ids[1], ids[10]])
    sql(f"DELETE FROM {RECORDS} WHERE id = %s", [ids[7]])
    # Not a hash at all (a newline in it): what a process sends back of it is the stored value itself.
    sql(f"UPDATE {RECORDS} SET record_hash = %s WHERE id = %s", ["0" * 32 + "\n" + "0" * 31, ids[4]])
    # The first and the last record moved to another site: the processes split the span of the
    # site's ids, which no longer starts or ends where the table's does.
    sql(f"UPDATE {RECORDS} SET site = %s WHERE id IN (%s, %s)", ["elsewhere", ids[0], ids[-1]])
    one = ledger.verify("default", full=True, jobs=1)
    several = ledger.verify("default", full=True, jobs=3)
    assert [str(p) for p in several.problems] == [str(p) for p in one.problems]
    assert len(one.problems) == 7 and (several.records, several.sealed_records) == (one.records, one.sealed_records)
    assert f"deleted: record {ids[0]} (sealed by seal 1) is missing" in [str(p) for p in one.problems]
    ok, out = verify("--full", "--jobs", "2")
    assert not ok and f"record {ids[10]} does not match its hash" in out, out
    with pytest.raises(CommandError, match="--jobs must be 1 or more"):
        call_command("cookiecharter_verify", "--jobs", "0", stdout=io.StringIO())


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_paused_while_records_are_read_and_left_as_it_was(folder, monkeypatch, enabled):
    import gc

    choose(4)
    seal()
    seen = []
    inner = ledger._verify_records

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        with ledger._collector_paused():  # nested (another thread's run): still paused, restored once
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())
        return inner(*args, **kwargs)

    monkeypatch.setattr(ledger, "_verify_records", spy)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        assert ledger.verify("default", full=True).ok
        assert seen == [False, False, False] and gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_without_jobs_the_command_reads_with_the_idle_cpus_up_to_four(folder, monkeypatch):
    import os

    choose(3)
    seal()
    given = []
    real = ledger.verify

    def spy(*args, **kwargs):
        given.append(kwargs["jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "verify", spy)
    assert verify()[0]
    assert given == [ledger.default_jobs()]
    for cpus, load, jobs in [(64, 0.0, 4), (64, 62.0, 2), (2, 0.1, 2), (2, 0.8, 1), (2, 2.5, 1), (1, 0.0, 1)]:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cpus: set(range(n)), raising=False)
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load), raising=False)
        assert ledger.default_jobs() == jobs, (cpus, load)
    assert ledger.DEFAULT_JOBS_MAX == 4
