"""On SQLite a time is text: the verifier puts Django's own form (``YYYY-MM-DD HH:MM:SS[.ffffff]``,
UTC) in canonical form by cutting the text, and any other form as the ORM reads it. And a column
holds whatever is written into it, whatever its declared type."""

from __future__ import annotations

import pytest

from cookiecharter import ledger
from cookiecharter.models import ConsentRecord
from tests.django.ledger_steps import choose, seal, sql

pytestmark = pytest.mark.django_db

RECORDS = ConsentRecord._meta.db_table


def test_a_time_stored_in_another_form_reads_as_the_orm_reads_it():
    ids = choose(7)
    seal()  # two seals of 3, one record left unsealed
    # The same instants, written as ISO 8601 with an offset: the ORM reads them as before.
    iso = "substr(created_at, 1, 10) || 'T' || substr(created_at, 12) || '+00:00'"
    sql(f"UPDATE {RECORDS} SET created_at = {iso} WHERE id IN (%s, %s)", [ids[1], ids[6]])
    fast = ledger.verify("default", full=True)
    assert fast.ok and fast.records == 7, [str(p) for p in fast.problems]
    assert ledger.verify_reference("default").ok
    # Not a time at all, or in the shape of one with a 13th month: hashed as it is, the record shows
    # as altered (and the verifier does not stop at it).
    for rid, value in [(ids[2], "yesterday"), (ids[4], "2026-13-01T10:00:00"), (ids[5], "2026-13-01 10:00:00")]:
        sql(f"UPDATE {RECORDS} SET created_at = %s WHERE id = %s", [value, rid])
    report = ledger.verify("default", full=True)
    assert [str(p) for p in report.problems] == [
        f"altered: record {rid} does not match its hash (edited or forged)" for rid in (ids[2], ids[4], ids[5])
    ]


def test_a_charter_version_that_is_no_id_shows_the_record_as_altered():
    """SQLite keeps whatever is written into a column: a record whose charter version is text, or
    points to no version, reads as altered, and the verifier goes on to the other records."""
    ids = choose(7)
    seal()
    shown = ConsentRecord.objects.get(id=ids[1]).charter_version_id
    sql(f"UPDATE {RECORDS} SET charter_version_id = %s WHERE id = %s", ["first", ids[1]])
    sql(f"UPDATE {RECORDS} SET charter_version_id = %s WHERE id = %s", [shown + 0.5, ids[3]])
    sql(f"UPDATE {RECORDS} SET charter_version_id = %s WHERE id = %s", [10**9, ids[5]])
    report = ledger.verify("default", full=True)
    assert [str(p) for p in report.problems] == [
        f"altered: record {rid} does not match its hash (edited or forged)" for rid in (ids[1], ids[3], ids[5])
    ]
    # Put back: the test database checks its foreign keys when the test ends.
    sql(f"UPDATE {RECORDS} SET charter_version_id = %s WHERE id IN (%s, %s, %s)", [shown, ids[1], ids[3], ids[5]])
