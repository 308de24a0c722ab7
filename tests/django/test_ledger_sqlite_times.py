"""On SQLite a time is text: the verifier puts Django's own form (``YYYY-MM-DD HH:MM:SS[.ffffff]``,
UTC) in canonical form in SQL, and any other form in Python, as the ORM reads it."""

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
