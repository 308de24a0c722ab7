"""Cookie-name patterns run on RE2, an engine whose matching time is linear in the name (issue 12, problem 4).

Python's ``re`` backtracks: with ``regex = '(a+)+$'`` a 25-character cookie name sent by a visitor
cost 0.59 s per request, doubling with each extra character. These tests do not time anything:
they check behaviour that only RE2 has, which shows which engine runs, and that patterns built to
make a backtracking engine explode get their right answer.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from cookiecharter.core import Charter, CookieName, MatchKind, loads_charter
from cookiecharter.core.patterns import PatternError, PatternSet

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "charters" / "valid.toml"
CHARTER = loads_charter(VALID.read_text(encoding="utf-8"), str(VALID))


def charter_with(*patterns: str) -> Charter:
    """The valid charter's statistics cookie declared once per pattern (built in code: no loader checks)."""
    template = CHARTER.cookies[2]
    cookies = tuple(replace(template, name=CookieName(MatchKind.REGEX, p)) for p in patterns)
    return replace(CHARTER, cookies=cookies)


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        # A POSIX class: to Python's re, "[[:digit:]]" is a set of "[:digt" followed by a "]".
        ("n[[:digit:]]+", "n123"),
        # A Unicode class: Python's re has none (\p is a bad escape there).
        ("id\\pN+", "id42"),
    ],
)
def test_names_are_matched_by_re2(pattern: str, name: str) -> None:
    assert CookieName(MatchKind.REGEX, pattern).matches(name)
    charter = charter_with("unrelated[0-9]", pattern)
    assert charter.match(name) is charter.cookies[1]


EVIL = ["(a+)+$", "(b|bb)+c", "x(y+y+)+z", "(q|q?q)+r", "(\\w+\\d?)+#"]


@pytest.mark.parametrize("length", [25, 5000])
def test_patterns_that_make_a_backtracking_engine_explode_get_their_answer(length: int) -> None:
    charter = charter_with(*EVIL)
    # Each name fails only at its last character: the worst case for a backtracking engine.
    assert charter.match("a" * length + "!") is None
    assert charter.match("b" * length + "!") is None
    assert charter.match("x" + "y" * length) is None
    assert charter.match("q" * length + "s") is None
    assert charter.match("w1" * length + "?") is None
    # ...and a name that does match is found, under the right declaration.
    assert charter.match("a" * length) is charter.cookies[0]
    assert charter.match("b" * length + "c") is charter.cookies[1]
    assert charter.match("x" + "y" * length + "z") is charter.cookies[2]
    assert charter.match("w1" * length + "#") is charter.cookies[4]
    assert CookieName(MatchKind.REGEX, EVIL[0]).matches("a" * length + "!") is False


def test_among_patterns_the_first_declared_wins() -> None:
    charter = charter_with("ab+", "a.*", "a[b]+")
    assert charter.match("abbb") is charter.cookies[0]
    assert charter.match("ac") is charter.cookies[1]


def test_dot_matches_any_character_and_the_whole_name_must_match() -> None:
    name = CookieName(MatchKind.REGEX, "a.c")
    assert name.matches("a\nc") and name.matches("aéc")
    assert not name.matches("xa.c") and not name.matches("a.cx")


def test_a_name_that_is_not_valid_unicode_gets_an_answer() -> None:
    # A lone surrogate cannot be encoded to UTF-8 as it is; it must not raise on the request path.
    charter = charter_with("a.*")
    assert charter.match("a\udcff") is charter.cookies[0]
    assert charter.match("\udcff") is None


def test_a_pattern_re2_cannot_compile_is_refused_with_re2s_reason() -> None:
    with pytest.raises(PatternError, match="invalid perl operator: \\(\\?="):
        PatternSet(["a(?=b)"])
    # Patterns are added to the set one by one, never spliced into one: none escapes its slot.
    with pytest.raises(PatternError):
        PatternSet(["a)|(b"])


def test_a_compiled_pattern_still_pickles() -> None:
    name = CookieName(MatchKind.REGEX, "ab+")
    assert name.matches("abb")  # compiles it
    copy = pickle.loads(pickle.dumps(name))
    assert copy == name and copy.matches("abbb") and not copy.matches("a")
