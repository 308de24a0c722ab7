"""Which declaration a cookie name falls under: exact names, prefixes, regular expressions.

``Charter.match`` compiles every declaration into one matcher; it must agree with the plain
``CookieName.matches`` of each declaration, for the demo's names and for generated ones.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiecharter.core import Charter, CookieName, MatchKind, loads_charter

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "charters" / "valid.toml"
CHARTER = loads_charter(VALID.read_text(encoding="utf-8"), str(VALID))
# RFC 6265 cookie-name characters: visible ASCII but the separators.
TOKEN = "".join(c for c in map(chr, range(33, 127)) if c not in '()<>@,;:\\"/[]?={} \t')


def declaration_of(name: str) -> str | None:
    found = CHARTER.match(name)
    return found.name.display if found else None


@pytest.mark.parametrize(
    ("name", "declaration"),
    [
        ("sessionid", "sessionid"),  # exact
        ("_pk_id.1.a2b3", "_pk_id.*"),  # prefix
        ("_pk_id.", "_pk_id.*"),  # the prefix alone is a name it covers
        ("_pk_ses.1.ab12", "_pk_ses\\.[0-9]+\\.[0-9a-f]{4}"),  # regex
        ("_pk_ses.12.00ff", "_pk_ses\\.[0-9]+\\.[0-9a-f]{4}"),
    ],
)
def test_declared_names(name: str, declaration: str) -> None:
    assert declaration_of(name) == declaration
    assert CHARTER.declares(name)


@pytest.mark.parametrize(
    "name",
    [
        "sessionid2",  # exact means exact
        "Sessionid",  # case matters (browsers keep it)
        "xsessionid",
        "_pk_id",  # shorter than the prefix
        "x_pk_id.1",  # a prefix anchors at the start
        "_pk_ses.1.ab1",  # the regex is matched whole, not searched
        "_pk_ses.1.ab123",
        "_pk_ses.1.ABCD",
        "_pk_ses.1.ab12\n",  # no trailing newline slips through a "$"
        "",
        "_ga",
    ],
)
def test_undeclared_names(name: str) -> None:
    assert declaration_of(name) is None
    assert not CHARTER.declares(name)


def test_cookie_name_from_declaration() -> None:
    assert CookieName.from_declaration(name="_ga_*") == CookieName(MatchKind.PREFIX, "_ga_")
    assert CookieName.from_declaration(name="_ga") == CookieName.exact("_ga")
    assert CookieName.from_declaration(regex="a+") == CookieName(MatchKind.REGEX, "a+")
    assert CookieName(MatchKind.PREFIX, "_ga_").display == "_ga_*"


def test_first_of_two_declarations_wins_for_an_exact_name_added_later() -> None:
    # The Django layer appends its own cookies with with_cookies; the loader refuses overlaps, but
    # the matcher must still be deterministic when given them: the first declaration wins.
    merged = CHARTER.with_cookies([replace(CHARTER.cookies[0], purpose="statistics")])
    found = merged.match("sessionid")
    assert found is not None and found.purpose == "necessary"


# -- generated charters: the compiled matcher agrees with each declaration's own matches() ----
token_names = st.text(alphabet=TOKEN, min_size=1, max_size=12)
short_words = st.text(alphabet="ab_.1", min_size=1, max_size=4)
regex_templates = st.sampled_from(
    ["{w}[0-9]+", "{w}(?:_[a-z]{{2}})?", "(?:{w}|{w}x)", "{w}\\.[ab]+", "[a-b]{{2}}{w}", "{w}.*z"]
)


@st.composite
def declarations(draw: st.DrawFn) -> list[CookieName]:
    names: list[CookieName] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(list(MatchKind)))
        word = draw(short_words)
        if kind is MatchKind.REGEX:
            names.append(CookieName(kind, draw(regex_templates).format(w=re.escape(word))))
        else:
            names.append(CookieName(kind, word))
    return names


def build(names: list[CookieName]) -> Charter:
    base = CHARTER
    template = base.cookies[1]
    cookies = [replace(template, name=n) for n in names]
    return Charter(base.controller, base.languages, base.purposes, tuple(cookies))


@settings(max_examples=300, deadline=None)
@given(names=declarations(), candidates=st.lists(st.one_of(token_names, short_words), min_size=1, max_size=8))
def test_compiled_matcher_agrees_with_each_declaration(names: list[CookieName], candidates: list[str]) -> None:
    charter = build(names)
    # Also try the declarations' own literal values: they are the names most likely to match.
    for candidate in candidates + [n.value for n in names] + [n.value + "x" for n in names]:
        expected = next((c for c in charter.cookies if c.name.matches(candidate)), None)
        found = charter.match(candidate)
        if expected is None:
            assert found is None, (candidate, found)
        else:
            # Exact names are looked up first; among patterns the first declared wins.
            assert found is not None and found.name.matches(candidate), (candidate, found)
            exact = [c for c in charter.cookies if c.name.kind is MatchKind.EXACT and c.name.value == candidate]
            if exact:
                assert found is exact[0]
            else:
                assert found is next(
                    c for c in charter.cookies if c.name.kind is not MatchKind.EXACT and c.name.matches(candidate)
                )


@settings(max_examples=200, deadline=None)
@given(prefix=token_names, rest=st.text(alphabet=TOKEN, max_size=10))
def test_prefix_matches_exactly_the_names_that_start_with_it(prefix: str, rest: str) -> None:
    name = CookieName(MatchKind.PREFIX, prefix)
    assert name.matches(prefix + rest)
    assert build([name]).declares(prefix + rest)
    assert name.matches(rest) == rest.startswith(prefix)
