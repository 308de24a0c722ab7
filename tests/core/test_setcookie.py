"""Raw Set-Cookie values read as a browser reads them: names, lifetimes, dates (RFC 6265)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from cookiecharter.core.setcookie import SetCookieHeader, http_date, parse_cookie_date


def test_set_cookie_header_reads_name_and_lifetime_like_a_browser():
    now = time.time()
    h = SetCookieHeader.parse("_ga=GA1.2.3; Path=/; Max-Age=63115200; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Secure")
    assert (h.name, h.value, h.lifetime(now)) == ("_ga", "GA1.2.3", 63_115_200)  # Max-Age wins
    h = SetCookieHeader.parse(f"x=1; expires={http_date(now + 3600)}")
    assert 3590 <= h.lifetime(now) <= 3600
    assert SetCookieHeader.parse("x=1; Max-Age=abc").lifetime(now) is None  # ignored, as browsers do
    assert SetCookieHeader.parse('weird name="a b,c"; path=/').name == "weird name"
    assert SetCookieHeader.parse("novalue").name == ""


def test_set_cookie_header_rewrites_only_the_lifetime():
    now = 1_700_000_000
    h = SetCookieHeader.parse("_ga=1; Path=/x; Max-Age=999999999; HttpOnly; SameSite=Lax")
    out = h.with_lifetime(3600, now)
    again = SetCookieHeader.parse(out)
    assert again.max_age == 3600 and again.lifetime(now) == 3600
    assert ("Path", "/x") in again.attributes and ("HttpOnly", "") in again.attributes
    assert "Max-Age" not in h.with_lifetime(None, now) and "Expires" not in h.with_lifetime(None, now)


UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The HTTP date Django writes, and the two older forms.
        ("Wed, 21 Oct 2099 07:28:00 GMT", datetime(2099, 10, 21, 7, 28, tzinfo=UTC)),
        ("Wednesday, 21-Oct-99 07:28:00 GMT", datetime(1999, 10, 21, 7, 28, tzinfo=UTC)),
        ("Wed Oct 21 07:28:00 2099", datetime(2099, 10, 21, 7, 28, tzinfo=UTC)),
        # What an HTTP date parser refuses and a browser keeps (issue 12, problem 8).
        ("2045 Jan 23 06:11:32", datetime(2045, 1, 23, 6, 11, 32, tzinfo=UTC)),
        ("23-january-2045 6:1:2", datetime(2045, 1, 23, 6, 1, 2, tzinfo=UTC)),
        ("Thu, 01 Jan 2060 00:00:00 +0200 (ignored)", datetime(2060, 1, 1, tzinfo=UTC)),
        ("01 Jan 30 00:00:00", datetime(2030, 1, 1, tzinfo=UTC)),  # 0-69: 2000s
        ("01 Jan 70 00:00:00", datetime(1970, 1, 1, tzinfo=UTC)),  # 70-99: 1900s
        # Where a browser ignores the attribute (the cookie then lasts the session).
        ("garbage", None),
        ("31 Jun 2045 00:00:00", None),  # no such day
        ("21 Oct 2099", None),  # no time of day
        ("21 Oct 2099 24:00:00", None),
        ("21 Oct 1600 00:00:00", None),
        ("32 Oct 2099 00:00:00", None),
    ],
)
def test_cookie_dates_are_read_as_rfc_6265_says_browsers_read_them(text, expected):
    assert parse_cookie_date(text) == expected


def test_a_browser_date_in_the_odd_order_still_counts_as_a_lifetime():
    now = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    header = SetCookieHeader.parse("django_language=en; expires=2045 Jan 23 06:11:32; Path=/")
    assert header.lifetime(now) == int(datetime(2045, 1, 23, 6, 11, 32, tzinfo=UTC).timestamp() - now)


# -- fuzzed: whatever a header or a date holds, reading it never fails ----------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests import fuzzing  # noqa: E402

attribute = st.one_of(
    st.sampled_from(
        [
            "Path=/",
            "Max-Age=0",
            "Max-Age=-1",
            "Max-Age=99999999999",
            "Max-Age=",
            "HttpOnly",
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "Expires=2045 Jan 23 06:11:32",
            "Domain=.x.org",
        ]
    ),
    st.text(max_size=40),
)


@fuzzing.mark
@fuzzing.fuzz(300)
@given(st.text(max_size=40), st.text(max_size=40), st.lists(attribute, max_size=5))
def test_any_set_cookie_value_is_read_and_rewritten_without_failing(name, value, attributes):
    header = SetCookieHeader.parse("; ".join([f"{name}={value}", *attributes]))
    now = 1_800_000_000.0
    lifetime = header.lifetime(now)
    assert lifetime is None or isinstance(lifetime, int)
    again = SetCookieHeader.parse(header.with_lifetime(3600, now))
    assert again.name == header.name and again.lifetime(now) == 3600


@fuzzing.mark
@fuzzing.fuzz(300)
@given(
    st.one_of(
        st.text(max_size=60),
        st.from_regex(
            r"[A-Za-z]{3},? \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{1,2}:\d{1,2}:\d{1,2}( GMT)?", fullmatch=True
        ),
    )
)
def test_any_cookie_date_reads_as_a_date_or_as_nothing(text):
    parsed = parse_cookie_date(text)
    assert parsed is None or (parsed.tzinfo is not None and 1601 <= parsed.year <= 9999)
