"""Whatever text it is given, loads_charter returns a Charter or raises CharterError, never
anything else, and every problem it reports is well-formed (a line inside the file, a field).
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cookiecharter.core import Charter, CharterError, loads_charter
from tests import fuzzing

VALID = (Path(__file__).resolve().parents[1] / "fixtures" / "charters" / "valid.toml").read_text(encoding="utf-8")
VALID_LINES = VALID.splitlines(keepends=True)

# bench/bench_fuzz.py runs these for much longer (tests/fuzzing.py).
FUZZ = fuzzing.fuzz(400)
pytestmark = fuzzing.mark


def check(text: str) -> Charter | None:
    try:
        charter = loads_charter(text, "fuzz.toml")
    except CharterError as exc:
        assert exc.problems, "a CharterError must say what is wrong"
        last_line = text.count("\n") + 1
        for problem in exc.problems:
            assert problem.file == "fuzz.toml"
            assert problem.line is None or 1 <= problem.line <= last_line + 1, (problem, last_line)
            assert isinstance(problem.field, str) and problem.message
            assert "\n" not in str(problem) or "\n" in problem.field, problem
        return None
    assert isinstance(charter, Charter)
    charter.digest, charter.consent_version  # noqa: B018 - computing them must not fail either
    return charter


# -- arbitrary text made of TOML's pieces ------------------------------------------------------
pieces = st.sampled_from(
    ["[", "]", "[[", "]]", "=", " = ", '"', "'", '"""', ".", "\n", "#", ",", "{", "}", "true", "1", "1979-05-27",
     "charter", "controller", "purposes", "cookies", "languages", "name", "regex", "lifetime", "purpose",
     "title", "description", "fr", "en", "exemption", "party", "\\", "*", "(", ")", "?", "+"]
)  # fmt: skip


@FUZZ
@given(st.lists(pieces, max_size=60).map("".join))
def test_toml_ish_text(text: str) -> None:
    check(text)


@FUZZ
@given(st.text(max_size=200))
def test_any_text(text: str) -> None:
    check(text)


# -- the valid charter, mutated ----------------------------------------------------------------
@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(VALID_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "edit", "insert"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "edit":
            line = lines[i]
            k = draw(st.integers(0, len(line)))
            lines[i] = line[:k] + draw(st.text(max_size=3)) + line[k + draw(st.integers(0, 3)) :]
        else:
            lines.insert(i, draw(st.sampled_from(VALID_LINES)))
        if not lines:
            break
    return "".join(lines)


@FUZZ
@given(mutated())
def test_mutated_valid_charter(text: str) -> None:
    check(text)


# -- values of any type where the schema expects something else --------------------------------
toml_values = st.one_of(
    st.booleans(), st.integers(-5, 5), st.just("13 months"), st.just("x y"), st.just(["fr"]), st.just([1]),
    st.just("{ fr = 1 }"), st.just("[]"), st.just("session"),
)  # fmt: skip


def toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(("{", "[")):
        return value
    return json.dumps(value)


@FUZZ
@given(
    key=st.sampled_from(["name", "regex", "provider", "purpose", "lifetime", "party", "domain", "reason", "path",
                         "service", "description.en", "exemption", "title.fr", "consent_mode", "refused_by_gpc",
                         "languages", "edition", "contact"]),
    value=toml_values,
    where=st.integers(0, len(VALID_LINES)),
)  # fmt: skip
def test_wrong_types_anywhere(key: str, value: object, where: int) -> None:
    lines = list(VALID_LINES)
    lines.insert(where, f"{key} = {toml(value)}\n")
    check("".join(lines))


# -- regular expressions of every shape --------------------------------------------------------
@FUZZ
@given(st.text(alphabet="()[]{}*+?|\\.^$-_:=,;a0Z9 ?!<>P", max_size=24))
def test_any_regex(pattern: str) -> None:
    text = VALID.replace('regex = "_pk_ses\\\\.[0-9]+\\\\.[0-9a-f]{4}"', f"regex = {json.dumps(pattern)}")
    charter = check(text)
    if charter is not None:
        # A regex the loader accepted compiles into the matcher and matches what it matched alone.
        declared = charter.cookies[2].name
        for candidate in ("a", "a0", "_pk_ses.1.abcd", pattern):
            if declared.matches(candidate):
                assert charter.match(candidate) is not None
