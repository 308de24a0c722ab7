"""Hypothesis: whatever ``cookies_preferences`` holds, the charter page and the endpoint never answer
5xx, and anything not genuinely signed and current reads as "no decision"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from cookiecharter.core.consent import Consent, ConsentCodec
from cookiecharter.models import ConsentRecord
from tests import fuzzing
from tests.django.site import charter, sign, through_middleware

pytestmark = pytest.mark.django_db

AGE = 15_778_800


def genuine(**changes) -> str:
    base = {
        "consent_id": "ABCDEFGHIJKLMNOP",
        "decided_at": timezone.now().replace(microsecond=0),
        "consent_version": charter().consent_version,
        "granted": frozenset({"statistics"}),
    }
    base.update(changes)
    return sign(Consent(**base))


@st.composite
def _one_char_changed(draw) -> str:
    value = genuine()
    pos = draw(st.integers(0, len(value) - 1))
    # Another ASCII character, drawn without looking at the value: the value carries the clock, and
    # Hypothesis needs the same draws to give the same example when it replays one.
    ch = chr((ord(value[pos]) + draw(st.integers(1, 127))) % 128)
    return value[:pos] + ch + value[pos + 1 :]


@st.composite
def _swap(draw) -> str:
    cid, t, v, purposes, sig = genuine().split(".")
    kind = draw(st.sampled_from(["purposes", "version", "time", "id"]))
    if kind == "purposes":
        purposes = draw(st.sampled_from(["statistics+embeds", "embeds", "", "advertising", "!"]))
    elif kind == "version":
        v = draw(st.text("0123456789abcdef", min_size=10, max_size=10).filter(lambda x: x != v))
    elif kind == "time":
        t = draw(st.sampled_from(["0", "zzzzzz", "1", t + "0"]))
    else:
        cid = "ZZZZZZZZZZZZZZZZ"
    return ".".join((cid, t, v, purposes, sig))


@st.composite
def _badly_dated(draw) -> str:
    """Genuinely signed (the site's own key) but expired, in the future, or for another version."""
    kind = draw(st.sampled_from(["expired", "future", "version", "unknown-purpose"]))
    now = timezone.now().replace(microsecond=0)
    if kind == "expired":
        return genuine(decided_at=now - timedelta(seconds=AGE + draw(st.integers(1, 10**8))))
    if kind == "future":
        return genuine(decided_at=now + timedelta(seconds=draw(st.integers(120, 10**8))))
    if kind == "version":
        return genuine(consent_version="0123456789")
    return genuine(granted=frozenset({"advertising"}))


@st.composite
def _forged(draw) -> str:
    key = draw(st.binary(min_size=1, max_size=64))
    consent = Consent(
        "ABCDEFGHIJKLMNOP",
        timezone.now().replace(microsecond=0),
        charter().consent_version,
        frozenset({"statistics", "embeds"}),
    )
    return ConsentCodec(key).encode(consent)


garbled = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=120).map(lambda b: b.decode("latin-1")),
    _one_char_changed(),
    _swap(),
    _badly_dated(),
    _forged(),
)


def as_header(value: str) -> str:
    # What a WSGI server hands Django: the raw header bytes decoded as latin-1.
    return "cookies_preferences=" + value.encode("utf-8", "surrogatepass").decode("latin-1")


CHECKS = fuzzing.fuzz(120)


@fuzzing.mark
@CHECKS
@given(value=garbled)
def test_garbled_cookie_reads_as_undecided(value):
    request = through_middleware(RequestFactory().get("/fr/cookies/", HTTP_COOKIE=as_header(value)))
    consent = request.consent  # read for the site's charter, so it knows its purposes too
    assert consent.consent_id is None and consent.decided_at is None and not consent.granted


@fuzzing.mark
@CHECKS
@given(value=garbled)
def test_charter_page_never_fails_on_a_garbled_cookie(value):
    response = Client().get("/fr/cookies/", HTTP_COOKIE=as_header(value) + "; portal_audience=x")
    assert response.status_code < 500
    html = response.content.decode()
    assert "ABCDEFGHIJKLMNOP" not in html  # the id inside a garbled cookie is never shown as the visitor's
    # The statistics cookie a garbled "consent" claims is not allowed: the middleware deletes it.
    assert response.cookies["portal_audience"]["max-age"] == 0


@fuzzing.mark
@CHECKS
@given(value=garbled, choice=st.sampled_from(["accept-all", "refuse-all", "custom"]))
def test_endpoint_never_fails_and_treats_the_visitor_as_new(value, choice):
    before = ConsentRecord.objects.count()
    response = Client().post("/fr/cookies/consent/", {"choice": choice}, HTTP_COOKIE=as_header(value))
    assert response.status_code == 303
    assert ConsentRecord.objects.count() == before + 1
    record = ConsentRecord.objects.order_by("-id").first()
    assert record.consent_id != "ABCDEFGHIJKLMNOP"  # the id in the garbled cookie is not trusted
    assert record.method == choice  # never "withdraw": there was no valid earlier decision


def test_the_genuine_cookie_is_read_so_the_checks_above_can_fail():
    value = genuine()
    request = through_middleware(RequestFactory().get("/fr/cookies/", HTTP_COOKIE=as_header(value)))
    assert request.consent.consent_id == "ABCDEFGHIJKLMNOP"
    response = Client().post("/fr/cookies/consent/", {"choice": "refuse-all"}, HTTP_COOKIE=as_header(value))
    assert response.status_code == 303
    record = ConsentRecord.objects.get()
    assert (record.consent_id, record.method) == ("ABCDEFGHIJKLMNOP", "withdraw")


def test_the_genuine_cookie_keeps_its_statistics_cookie():
    response = Client().get("/fr/cookies/", HTTP_COOKIE=as_header(genuine()) + "; portal_audience=x")
    assert response.status_code == 200
    assert "portal_audience" not in response.cookies
