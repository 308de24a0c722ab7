"""The consent cookie codec: round trip, size, and that nothing garbled or forged reads as a decision."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiecharter.core.consent import Consent, ConsentCodec, new_consent_id
from cookiecharter.core.loading import load_charter
from tests import fuzzing

ROOT = Path(__file__).resolve().parents[2]
CHARTER = load_charter(ROOT / "demo" / "charter.toml")
VERSION = CHARTER.consent_version
PURPOSES = [p.key for p in CHARTER.consent_purposes]
NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
AGE = 15_778_800
codec = ConsentCodec(b"k" * 32)


def decision(granted=PURPOSES, when=NOW, version=VERSION, cid=None) -> Consent:
    return Consent(cid or new_consent_id(), when, version, frozenset(granted))


def read(value, *, now=NOW, version=VERSION, c=codec):
    return c.decode(value, charter_version=version, max_age=AGE, now=now, purposes=PURPOSES)


def test_round_trip_keeps_everything():
    d = decision()
    value = codec.encode(d)
    assert read(value) == d
    assert read(value).allows("statistics") and read(value).allows("embeds")


def test_refusal_round_trips_as_a_decision_with_nothing_granted():
    d = decision(granted=())
    back = read(codec.encode(d))
    assert back.decided and back.granted == frozenset() and back.consent_id == d.consent_id


def test_format_is_the_documented_one_and_compact():
    value = codec.encode(decision(cid="AAAAAAAAAAAAAAAA"))
    cid, time36, version, purposes, sig = value.split(".")
    assert cid == "AAAAAAAAAAAAAAAA"
    assert int(time36, 36) == int(NOW.timestamp())
    assert version == VERSION
    assert purposes == "embeds+statistics"
    assert len(sig) == 22
    assert len(value.encode()) < 150
    # Cookie-safe: no quoting needed in a Set-Cookie header.
    assert all(ch.isalnum() or ch in "._-+" for ch in value)


def test_consent_ids_are_random_and_sixteen_characters():
    ids = {new_consent_id() for _ in range(200)}
    assert len(ids) == 200 and all(len(i) == 16 for i in ids)


@pytest.mark.parametrize(
    "case",
    ["expired", "future", "other_version", "other_key", "unknown_purpose", "tampered_purposes", "empty"],
)
def test_everything_wrong_reads_as_undecided(case):
    value = codec.encode(decision())
    if case == "expired":
        result = read(value, now=NOW + timedelta(seconds=AGE + 1))
    elif case == "future":
        result = read(value, now=NOW - timedelta(hours=1))
    elif case == "other_version":
        result = read(value, version="0123456789")
    elif case == "other_key":
        result = read(value, c=ConsentCodec(b"x" * 32))
    elif case == "unknown_purpose":
        forged = codec.encode(decision(granted=["statistics", "advertising"]))
        result = read(forged)
    elif case == "tampered_purposes":
        cid, t, v, _, sig = value.split(".")
        result = read(f"{cid}.{t}.{v}.statistics.{sig}")
    else:
        result = read("")
    assert result == Consent.undecided()


def test_just_within_lifetime_and_small_clock_skew_still_count():
    value = codec.encode(decision())
    assert read(value, now=NOW + timedelta(seconds=AGE - 1)).decided
    assert read(value, now=NOW - timedelta(seconds=30)).decided


def test_fallback_keys_still_read_old_cookies_but_new_ones_use_the_current_key():
    old = ConsentCodec(b"old" * 11)
    rotated = ConsentCodec(b"new" * 11, fallbacks=[b"old" * 11])
    assert read(old.encode(decision()), c=rotated).decided
    assert not read(rotated.encode(decision()), c=old).decided


def test_encode_refuses_what_is_not_a_decision():
    with pytest.raises(ValueError):
        codec.encode(Consent.undecided())
    with pytest.raises(ValueError):
        codec.encode(decision(when=datetime(2026, 1, 1)))
    with pytest.raises(ValueError):
        ConsentCodec(b"")


GOOD = codec.encode(decision(cid="abcdefghijklmnop"))


@fuzzing.mark
@fuzzing.fuzz(400)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_random_text_never_raises_and_reads_undecided(value):
    assert read(value) == Consent.undecided()


@fuzzing.mark
@fuzzing.fuzz(400)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.characters(codec="ascii"))
def test_any_one_character_changed_reads_undecided(pos, ch):
    tampered = GOOD[:pos] + ch + GOOD[pos + 1 :]
    result = read(tampered)
    if tampered == GOOD:
        assert result.decided
    else:
        assert result == Consent.undecided()


@fuzzing.mark
@fuzzing.fuzz(200)
@given(
    granted=st.sets(st.sampled_from(PURPOSES)),
    shift=st.integers(min_value=-(10**9), max_value=10**9),
)
def test_resigned_with_another_key_or_time_shifted_reads_undecided_or_within_rules(granted, shift):
    # A forger without the key re-signs with their own: never accepted.
    forged = ConsentCodec(b"forger-key").encode(decision(granted=granted))
    assert read(forged) == Consent.undecided()
    # A genuine cookie read at any time: decided only within [decided-60s, decided+max_age].
    genuine = codec.encode(decision(granted=granted))
    result = read(genuine, now=NOW + timedelta(seconds=shift))
    assert result.decided == (-60 <= shift <= AGE)


def test_browser_signal_state_round_trips_and_is_not_a_decision():
    signal = Consent(new_consent_id(), NOW, VERSION, frozenset(), browser_signal=True)
    value = codec.encode(signal)
    assert value.split(".")[3] == "!"
    back = read(value)
    assert back == signal and not back.decided and back.consent_id == signal.consent_id
    # What an opted-in ADPC consent granted before any choice on the site: granted, still undecided.
    partial = Consent(new_consent_id(), NOW, VERSION, frozenset({"statistics"}), browser_signal=True)
    value = codec.encode(partial)
    assert value.split(".")[3] == "!statistics"
    back = read(value)
    assert back == partial and not back.decided and back.allows("statistics") and not back.allows("embeds")


def test_a_value_read_twice_is_held_each_time_to_the_calls_version_purposes_and_age():
    # A genuine value read once and then again under other terms: each reading judges it afresh.

    codec = ConsentCodec(b"k" * 32)
    now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    value = codec.encode(Consent("AAAAAAAAAAAAAAAA", now, "0123456789", frozenset({"statistics"})))
    ok = {"charter_version": "0123456789", "max_age": 3600, "now": now, "purposes": ["statistics", "embeds"]}
    assert codec.decode(value, **ok).granted == {"statistics"}
    assert codec.decode(value, **ok).granted == {"statistics"}
    assert not codec.decode(value, **{**ok, "charter_version": "9876543210"}).decided
    assert not codec.decode(value, **{**ok, "purposes": ["embeds"]}).decided
    assert not codec.decode(value, **{**ok, "now": now + timedelta(hours=2)}).decided
    assert not codec.decode(value, **{**ok, "now": now - timedelta(hours=1)}).decided
    # Another key does not read it.
    assert not ConsentCodec(b"x" * 32).decode(value, **ok).decided
