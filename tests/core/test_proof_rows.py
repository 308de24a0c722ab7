"""The verifier's fast way (stored columns, whole seals settled at once, incremental runs) against
the plain way (one ``RecordFields`` per record, walked record by record): the same findings."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiecharter.core import proof
from cookiecharter.core.mac import HmacSha256
from cookiecharter.core.proof import RecordFields, RecordHasher, StoredRecord, StoredSeal

KEY = b"ledger-key-for-tests"
OLD_KEY = b"the-key-before-rotation"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)

text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    consent_id=text,
    micros=st.integers(0, 10**12),
    charter=text,
    texts=text,
    language=text,
    choices=st.dictionaries(text, st.one_of(st.booleans(), st.integers(-2, 2), st.none(), text), max_size=4),
    method=text,
    user_id=st.one_of(st.none(), text),
    site=st.one_of(st.just(proof.DEFAULT_SITE), text),
)
def test_the_message_is_byte_for_byte_the_canonical_form(
    consent_id, micros, charter, texts, language, choices, method, user_id, site
):
    when = T0 + timedelta(microseconds=micros)
    fields = RecordFields(consent_id, when, charter, texts, language, choices, method, user_id, site)
    stored_choices = json.dumps(choices)  # as the database gives it back: JSON text
    hasher = RecordHasher([KEY], site)
    message = hasher.message(
        consent_id, proof.canonical_time(when), charter, texts, language, stored_choices, method, user_id
    )
    assert message == fields.canonical()
    row = (1, consent_id, proof.canonical_time(when), charter, texts, language, stored_choices, method, user_id)
    assert list(hasher.check([(*row, proof.record_hash(KEY, fields))]).items()) == [
        (1, proof.record_hash(KEY, fields), True)
    ]
    forged = proof.record_hash(b"other", fields)
    assert list(hasher.check([(*row, forged)]).items()) == [(1, forged, False)]


@settings(max_examples=300, deadline=None)
@given(key=st.binary(max_size=200), messages=st.lists(st.binary(max_size=300), min_size=1, max_size=3))
def test_the_verifier_s_hmac_is_hmac_sha256(key, messages):
    """Keys shorter than, as long as and longer than the block (64 bytes, hashed first), any message:
    the same HMAC as the standard library's, message after message from the same key."""
    mac = HmacSha256(key)
    for message in messages:
        assert mac.hexdigest(message) == hmac.new(key, message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("length", [0, 1, 63, 64, 65, 128])
def test_the_verifier_s_hmac_at_the_block_size_edges(length):
    key = bytes(range(length))
    assert HmacSha256(key).hexdigest(b"message") == hmac.new(key, b"message", hashlib.sha256).hexdigest()


def test_choices_that_are_not_an_object_read_as_none_given_as_the_verifier_always_read_them():
    hasher = RecordHasher([KEY])
    for stored in ("[1, 2]", '"yes"', "null", "not json"):
        expected = RecordFields("c", T0, "d", "t", "fr", {}, "custom", None).canonical()
        assert hasher.message("c", proof.canonical_time(T0), "d", "t", "fr", stored, "custom", None) == expected


def test_an_older_key_still_matches():
    fields = RecordFields("c", T0, "d", "t", "fr", {"a": True}, "custom", None)
    row = (1, "c", proof.canonical_time(T0), "d", "t", "fr", '{"a": true}', "custom", None)
    assert not RecordHasher([KEY, OLD_KEY]).check([(*row, proof.record_hash(OLD_KEY, fields))]).bad
    assert set(RecordHasher([KEY]).check([(*row, proof.record_hash(OLD_KEY, fields))]).bad) == {1}


# -- whole ledgers, tampered at random ---------------------------------------------------------


def fields(i: int) -> RecordFields:
    return RecordFields(
        consent_id=f"id{i % 37:014d}",  # visitors come back: consent ids recur
        created_at=T0 + timedelta(seconds=i, microseconds=i % 3),
        charter_digest="c" * 64,
        texts_digest="t" * 64,
        language=("fr", "en")[i % 2],
        choices={"statistics": i % 3 == 0, "embeds": i % 5 == 0},
        method=("custom", "accept-all", "refuse-all")[i % 3],
        user_id=None if i % 4 else str(i),
    )


def ledger(n: int, batch: int) -> tuple[list[StoredRecord], list[StoredSeal]]:
    records = [StoredRecord(i, fields(i), proof.record_hash(KEY, fields(i))) for i in range(1, n + 1)]
    seals, previous = [], ""
    sealed = records[: n - n % batch - batch // 2]  # an unsealed tail
    for number, start in enumerate(range(0, len(sealed), batch), start=1):
        chunk = sealed[start : start + batch]
        f, h = proof.make_seal(
            KEY, number=number, records=[(r.id, r.record_hash) for r in chunk], previous_hash=previous, created_at=T0
        )
        seals.append(StoredSeal(f, h))
        previous = h
    return records, seals


def tamper(rng: random.Random, records: list[StoredRecord], seals: list[StoredSeal]) -> int:
    """A few edits an attacker with the database could make; returns the high-water mark."""
    hwm = records[-1].id
    for _ in range(rng.randint(0, 4)):
        what = rng.choice(["edit", "delete", "copy", "forge", "delete-run", "drop-seal", "edit-seal", "slip"])
        if what == "edit" and records:
            i = rng.randrange(len(records))
            records[i] = replace(records[i], fields=replace(records[i].fields, method="accept-all", language="de"))
        elif what == "delete" and records:
            del records[rng.randrange(len(records))]
        elif what == "delete-run" and records:
            i = rng.randrange(len(records))
            del records[i : i + rng.randint(2, 30)]
        elif what == "copy" and records:
            hwm += 1
            records.append(replace(rng.choice(records), id=hwm))
        elif what == "forge":
            hwm += 1
            records.append(StoredRecord(hwm, fields(hwm), "0" * 64))
        elif what == "drop-seal" and seals:
            del seals[rng.randrange(len(seals))]
        elif what == "edit-seal" and seals:
            i = rng.randrange(len(seals))
            seals[i] = replace(seals[i], fields=replace(seals[i].fields, count=seals[i].fields.count + 1))
        elif what == "slip" and seals:
            # A record given the id of one deleted from a sealed range (its hash stays valid).
            seal = rng.choice(seals).fields
            rid = rng.randint(seal.first_id, seal.last_id)
            records[:] = [r for r in records if r.id != rid]
            records.append(StoredRecord(rid, fields(rid + 1000), proof.record_hash(KEY, fields(rid + 1000))))
            records.sort(key=lambda r: r.id)
    return hwm


def as_rows(records: list[StoredRecord], size: int) -> list[list[tuple]]:
    rows = [
        (
            r.id,
            r.fields.consent_id,
            proof.canonical_time(r.fields.created_at),
            r.fields.charter_digest,
            r.fields.texts_digest,
            r.fields.language,
            json.dumps(dict(r.fields.choices)),
            r.fields.method,
            r.fields.user_id,
            r.record_hash,
        )
        for r in records
    ]
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def outcome(report: proof.Report) -> tuple:
    return (report.records, report.seals, report.sealed_records, [str(p) for p in report.problems])


@pytest.mark.parametrize("seed", range(150))
def test_fast_and_plain_ways_find_the_same(seed):
    rng = random.Random(seed)
    records, seals = ledger(rng.randint(1, 160), rng.choice([1, 3, 10, 25]))
    hwm = tamper(rng, records, seals)
    others = sorted(rng.sample(range(hwm + 1, hwm + 20), rng.randint(0, 3)))
    plain = proof.verify([KEY], records, seals, high_water_mark=hwm, other_ids=others, by_seal=False)
    by_seal = proof.verify([KEY], records, seals, high_water_mark=hwm, other_ids=others)
    rows = proof.verify_rows(
        [KEY], as_rows(records, rng.choice([1, 7, 64])), seals, high_water_mark=hwm, other_ids=others
    )
    assert outcome(by_seal) == outcome(plain)
    assert outcome(rows) == outcome(plain)


def test_an_incremental_run_reads_only_what_follows_and_still_spots_a_copy_of_an_older_record():
    records, seals = ledger(100, 10)  # 85 sealed: seals 1..8 over 1..80 (+ the tail)
    since = seals[4].fields.last_id  # verified clean up to seal 5
    later = [r for r in records if r.id > since]
    report = proof.verify([KEY], later, seals, high_water_mark=100, since=since)
    assert report.ok and report.records == len(later) and report.not_reread == since
    assert report.sealed_records == sum(s.fields.count for s in seals)
    # A copy, after the checkpoint, of a record before it: found through ``seen``.
    copy = replace(records[4], id=101)
    report = proof.verify(
        [KEY],
        [*later, copy],
        seals,
        high_water_mark=101,
        since=since,
        seen=[(r.id, r.record_hash) for r in records[:since]],
    )
    assert [str(p) for p in report.problems] == ["inserted: record 101 is a copy of record 5"]


def seal_over(records: list[StoredRecord], batch: int) -> list[StoredSeal]:
    seals, previous = [], ""
    for number, start in enumerate(range(0, len(records), batch), start=1):
        chunk = records[start : start + batch]
        f, h = proof.make_seal(
            KEY, number=number, records=[(r.id, r.record_hash) for r in chunk], previous_hash=previous, created_at=T0
        )
        seals.append(StoredSeal(f, h))
        previous = h
    return seals


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_a_record_replaced_inside_a_seal_by_a_valid_one_shows_either_way(size):
    records = [StoredRecord(i, fields(i), proof.record_hash(KEY, fields(i))) for i in range(1, 31)]
    seals = seal_over(records, 10)
    other = fields(500)
    records[14] = StoredRecord(15, other, proof.record_hash(KEY, other))  # valid hash, not the sealed one
    expected = ["seal: the records of seal 2 are not the ones it sealed (hashes replaced)"]
    assert [str(p) for p in proof.verify([KEY], records, seals, by_seal=False).problems] == expected
    assert [str(p) for p in proof.verify([KEY], records, seals).problems] == expected
    assert [str(p) for p in proof.verify_rows([KEY], as_rows(records, size), seals).problems] == expected


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_a_copy_sealed_with_the_others_shows_either_way(size):
    records = [StoredRecord(i, fields(i), proof.record_hash(KEY, fields(i))) for i in range(1, 31)]
    records[16] = replace(records[3], id=17)  # made before the seal: the seal vouches for it
    records[25] = replace(records[22], id=26)  # a copy within one seal
    seals = seal_over(records, 10)
    expected = ["inserted: record 17 is a copy of record 4", "inserted: record 26 is a copy of record 23"]
    assert [str(p) for p in proof.verify([KEY], records, seals, by_seal=False).problems] == expected
    assert [str(p) for p in proof.verify([KEY], records, seals).problems] == expected
    assert [str(p) for p in proof.verify_rows([KEY], as_rows(records, size), seals).problems] == expected
