"""Lifetimes in the units people write, and their exact lengths."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiecharter.core import Lifetime, LifetimeError
from cookiecharter.core.charter import AUDIENCE_MAX_LIFETIME

DAY = 86_400


@pytest.mark.parametrize(
    ("text", "seconds", "shown"),
    [
        ("session", None, "session"),
        ("  Session ", None, "session"),
        ("1 second", 1, "1 second"),
        ("30 minutes", 1_800, "30 minutes"),
        ("30min", 1_800, "30 minutes"),
        ("1 hour", 3_600, "1 hour"),
        ("24 h", 86_400, "24 hours"),
        ("2 weeks", 14 * DAY, "2 weeks"),
        ("52 weeks", 364 * DAY, "52 weeks"),
        ("6 months", 15_778_800, "6 months"),
        ("13 months", 34_187_400, "13 months"),
        ("1 year", 31_557_600, "1 year"),
        ("2 Years", 63_115_200, "2 years"),
    ],
)
def test_parse(text: str, seconds: int | None, shown: str) -> None:
    lifetime = Lifetime.parse(text)
    assert lifetime.seconds == seconds
    assert str(lifetime) == shown
    assert Lifetime.parse(str(lifetime)) == lifetime


def test_twelve_months_is_one_year_and_thirteen_months_is_the_cnil_ceiling() -> None:
    assert Lifetime.parse("12 months").seconds == Lifetime.parse("1 year").seconds
    assert Lifetime.parse("13 months") == AUDIENCE_MAX_LIFETIME
    assert not Lifetime.parse("13 months").exceeds(AUDIENCE_MAX_LIFETIME)
    assert Lifetime.parse("57 weeks").exceeds(AUDIENCE_MAX_LIFETIME)  # 399 days > 395.6 days
    assert not Lifetime.parse("56 weeks").exceeds(AUDIENCE_MAX_LIFETIME)
    assert not Lifetime.session().exceeds(AUDIENCE_MAX_LIFETIME)
    assert Lifetime.parse("1 day").exceeds(Lifetime.session())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'expected "session" or a number and a unit'),
        ("forever", 'expected "session" or a number and a unit'),
        ("2", 'expected "session" or a number and a unit'),
        ("two weeks", 'expected "session" or a number and a unit'),
        ("-1 day", 'expected "session" or a number and a unit'),
        ("1.5 days", 'expected "session" or a number and a unit'),
        ("2 weks", "unknown unit 'weks'"),
        ("3 fortnights", "unknown unit 'fortnights'"),
        ("0 days", "a lifetime must be positive"),
    ],
)
def test_parse_errors_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(LifetimeError, match=message.replace("(", r"\(")):
        Lifetime.parse(text)
    assert issubclass(LifetimeError, ValueError)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "session"), (60, "1 minute"), (1_209_600, "2 weeks"), (31_557_600, "1 year"), (90, "90 seconds"),
     (31_449_600, "52 weeks"), (15_778_800, "6 months")],
)  # fmt: skip
def test_of_seconds_picks_the_most_readable_exact_unit(seconds: int | None, shown: str) -> None:
    assert str(Lifetime.of_seconds(seconds)) == shown
    assert Lifetime.of_seconds(seconds).seconds == seconds


@given(st.integers(min_value=1, max_value=10**10))
def test_of_seconds_round_trips_through_text(seconds: int) -> None:
    lifetime = Lifetime.of_seconds(seconds)
    assert lifetime.seconds == seconds
    assert Lifetime.parse(str(lifetime)).seconds == seconds
