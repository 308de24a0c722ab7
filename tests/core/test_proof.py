"""Record hashes, seals and the verifier, on plain values (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cookiecharter.core import proof as ledger
from cookiecharter.core.loading import load_charter
from cookiecharter.core.proof import ProblemKind, RecordFields, StoredRecord, StoredSeal

KEY = b"ledger-key-for-tests"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
CHARTER = load_charter(Path(__file__).resolve().parents[2] / "demo" / "charter.toml")


def fields(i: int) -> RecordFields:
    return RecordFields(
        consent_id=f"id{i:014d}",
        created_at=T0 + timedelta(seconds=i),
        charter_digest="c" * 64,
        texts_digest="t" * 64,
        language="fr",
        choices={"statistics": i % 2 == 0, "embeds": False},
        method="custom",
        user_id=None,
    )


def make_records(n: int) -> list[StoredRecord]:
    return [StoredRecord(i, fields(i), ledger.record_hash(KEY, fields(i))) for i in range(1, n + 1)]


def seal_all(records: list[StoredRecord], batch: int) -> list[StoredSeal]:
    seals, previous = [], ""
    for n, start in enumerate(range(0, len(records), batch), start=1):
        chunk = records[start : start + batch]
        f, h = ledger.make_seal(
            KEY, number=n, records=[(r.id, r.record_hash) for r in chunk], previous_hash=previous, created_at=T0
        )
        seals.append(StoredSeal(f, h))
        previous = h
    return seals


def kinds(report) -> list[tuple[ProblemKind, int | None]]:
    return [(p.kind, p.record_id) for p in report.problems]


def test_clean_ledger_verifies():
    recs = make_records(25)
    report = ledger.verify([KEY], recs, seal_all(recs[:20], 10), high_water_mark=25)
    assert report.ok, report.problems
    assert (report.records, report.seals, report.sealed_records) == (25, 2, 20)


def test_hash_depends_on_every_field_and_the_key():
    base = fields(1)
    h = ledger.record_hash(KEY, base)
    changes = {
        "consent_id": "x" * 16,
        "created_at": T0 + timedelta(microseconds=1),
        "charter_digest": "d" * 64,
        "texts_digest": "u" * 64,
        "language": "en",
        "choices": {"statistics": True, "embeds": True},
        "method": "accept-all",
        "user_id": "7",
    }
    for name, value in changes.items():
        assert ledger.record_hash(KEY, replace(base, **{name: value})) != h, name
    assert ledger.record_hash(b"other", base) != h
    # The same instant in another time zone is the same record.
    paris = timezone(timedelta(hours=1))
    assert ledger.record_hash(KEY, replace(base, created_at=base.created_at.astimezone(paris))) == h


def test_altered_record_is_reported_sealed_or_not():
    recs = make_records(12)
    seals = seal_all(recs[:10], 10)
    recs[3] = replace(recs[3], fields=replace(recs[3].fields, choices={"statistics": True, "embeds": True}))
    recs[11] = replace(recs[11], fields=replace(recs[11].fields, method="accept-all"))
    report = ledger.verify([KEY], recs, seals, high_water_mark=12)
    assert (ProblemKind.ALTERED, 4) in kinds(report)
    assert (ProblemKind.ALTERED, 12) in kinds(report)


def test_deleted_sealed_record_is_named():
    recs = make_records(10)
    seals = seal_all(recs, 5)
    del recs[6]  # id 7
    report = ledger.verify([KEY], recs, seals, high_water_mark=10)
    assert kinds(report) == [(ProblemKind.DELETED, 7)]


def test_deleted_unsealed_records_show_as_gaps_including_the_newest():
    recs = make_records(10)
    seals = seal_all(recs[:5], 5)
    kept = [r for r in recs if r.id not in (7, 10)]
    report = ledger.verify([KEY], kept, seals, high_water_mark=10)
    assert kinds(report) == [(ProblemKind.DELETED, 7), (ProblemKind.DELETED, 10)]


def test_inserted_and_copied_records_are_reported():
    recs = make_records(10)
    seals = seal_all(recs[:9], 9)
    forged = StoredRecord(4, fields(4), "0" * 64)
    copy = StoredRecord(11, recs[2].fields, recs[2].record_hash)
    stream = sorted([r for r in recs if r.id != 4] + [forged, copy], key=lambda r: r.id)
    report = ledger.verify([KEY], stream, seals, high_water_mark=11)
    assert (ProblemKind.ALTERED, 4) in kinds(report)
    assert (ProblemKind.INSERTED, 11) in kinds(report)


def test_record_slipped_into_a_sealed_gap_is_reported():
    recs = [r for r in make_records(10) if r.id != 5]
    seals = seal_all(recs, 20)
    intruder = StoredRecord(5, fields(5), ledger.record_hash(KEY, fields(5)))
    report = ledger.verify([KEY], sorted([*recs, intruder], key=lambda r: r.id), seals, high_water_mark=10)
    assert (ProblemKind.INSERTED, 5) in kinds(report)


def test_removed_or_edited_seal_breaks_the_chain():
    recs = make_records(30)
    seals = seal_all(recs, 10)
    report = ledger.verify([KEY], recs, [seals[0], seals[2]], high_water_mark=30)
    assert any(p.kind is ProblemKind.SEAL for p in report.problems)
    edited = replace(seals[1], fields=replace(seals[1].fields, count=9))
    report = ledger.verify([KEY], recs, [seals[0], edited, seals[2]], high_water_mark=30)
    assert any(p.kind is ProblemKind.SEAL and p.seal_number == 2 for p in report.problems)


def test_genuine_pruning_is_clean_and_a_faked_one_is_not():
    recs = make_records(20)
    seals = seal_all(recs, 10)
    when = T0 + timedelta(days=2000)
    pruned = replace(seals[0], pruned_at=when, pruned_hash=ledger.pruned_hash(KEY, seals[0].seal_hash, when))
    assert ledger.verify([KEY], recs[10:], [pruned, seals[1]], high_water_mark=20).ok
    faked = replace(seals[0], pruned_at=when, pruned_hash="f" * 64)
    report = ledger.verify([KEY], recs[10:], [faked, seals[1]], high_water_mark=20)
    assert [p.kind for p in report.problems] == [ProblemKind.SEAL]


def test_rotated_key_still_verifies_older_records():
    recs = make_records(3)
    assert ledger.verify([b"new-key", KEY], recs, [], high_water_mark=3).ok
    assert not ledger.verify([b"new-key"], recs, [], high_water_mark=3).ok


@pytest.mark.parametrize("ids", [[1], [1, 2, 3], [1, 2, 4, 5, 9], [3, 7, 8, 9, 10, 20]])
def test_id_ranges_round_trip(ids):
    assert list(ledger.parse_ids(ledger.format_ids(ids))) == ids


def test_texts_digest_differs_by_language_and_wording():
    fr = ledger.texts_digest(CHARTER, "fr")
    assert fr != ledger.texts_digest(CHARTER, "en")
    assert fr == ledger.texts_digest(CHARTER, "fr")


def test_ledger_and_codec_cores_import_no_django():
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys; import cookiecharter.core.proof, cookiecharter.core.consent; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_record_between_two_seals_is_reported():
    recs = [r for r in make_records(10) if r.id != 6]
    seals = seal_all(recs, 5)  # seal 1: 1-5, seal 2: 7-10 (6 was missing when sealing)
    assert [s.fields.first_id for s in seals] == [1, 7]
    intruder = StoredRecord(6, fields(6), ledger.record_hash(KEY, fields(6)))
    report = ledger.verify([KEY], sorted([*recs, intruder], key=lambda r: r.id), seals, high_water_mark=10)
    assert kinds(report) == [(ProblemKind.INSERTED, 6)]


def test_records_must_come_in_id_order():
    recs = make_records(3)
    with pytest.raises(ValueError):
        ledger.verify([KEY], list(reversed(recs)), [])


def test_streaming_holds_no_record_list():
    """A generator of 20,000 records verifies (nothing needs the whole list)."""

    def stream():
        for i in range(1, 20_001):
            f = replace(fields(i % 50 + 1), consent_id=f"{i:016d}")
            yield StoredRecord(i, f, ledger.record_hash(KEY, f))

    report = ledger.verify([KEY], stream(), [], high_water_mark=20_000)
    assert report.ok and report.records == 20_000
