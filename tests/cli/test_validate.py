"""`cookiecharter validate` on broken charters: each kind of mistake is reported with its file,
line and field, and the exit status says valid (0), invalid (1) or unreadable (2).

Every file in tests/fixtures/charters/broken/ is valid.toml with one thing changed (its first
comment says what), so the line asserted here is the line a person would have to fix.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cookiecharter.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "charters"
BROKEN = FIXTURES / "broken"
DEMO = Path(__file__).resolve().parents[2] / "demo"


def validate(*paths: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *map(str, paths)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


# (fixture, line, field, what the message must say)
CASES = [
    (
        "syntax-error",
        34,
        "cookies[0].lifetime",
        "TOML syntax error: Illegal character '\\n' (column 20); a string left open",
    ),
    ("unknown-purpose", 41, "cookies[1].purpose", "unknown purpose 'statistic' (did you mean \"statistics\"?)"),
    (
        "duplicate-cookie",
        39,
        "cookies[1].name",
        "duplicate cookie `sessionid`: already declared at cookies[0].name (line 27)",
    ),
    (
        "overlap-prefix-exact",
        39,
        "cookies[1].name",
        "`session*` overlaps `sessionid` declared at cookies[0].name (line 27)",
    ),
    (
        "overlap-regex",
        49,
        "cookies[2].regex",
        "overlaps `_pk_id.*` declared at cookies[1].name (line 39): a cookie named '_pk_id.0' matches both",
    ),
    ("bad-lifetime", 34, "cookies[0].lifetime", "unknown unit 'weks' in '2 weks'"),
    ("missing-translation", 22, "purposes.statistics.description.en", "missing the 'en' translation"),
    ("audience-over-13-months", 49, "cookies[1].lifetime", "at most 13 months (CNIL), got '25 months'"),
    ("third-party-without-domain", 57, "cookies[2].party", "a third-party cookie needs `domain`"),
    (
        "exempt-without-reason",
        26,
        "cookies[0].reason",
        "exempt purpose 'necessary' (strictly-necessary) needs `reason.fr",
    ),
    ("invalid-regex", 49, "cookies[2].regex", "invalid regular expression: missing ), unterminated subpattern"),
    ("bad-purpose-key", 19, "purposes.Statistics", "a purpose key is 1 to 32 lower-case letters"),
    (
        "unknown-consent-mode",
        24,
        "purposes.statistics.consent_mode[0]",
        "unknown Consent Mode type 'analytics' (did you mean \"analytics_storage\"?)",
    ),
    ("gpc-on-exempt", 14, "purposes.necessary.refused_by_gpc", "an exempt purpose is never asked about"),
    (
        "invalid-cookie-name",
        27,
        "cookies[0].name",
        "'session id' is not a valid cookie name: a cookie name cannot contain ' '",
    ),
    ("regex-never-matches", 49, "cookies[2].regex", "`_pk_ses=[0-9]+` can never match a valid cookie name"),
    ("empty-languages", 6, "charter.languages", "list at least one language"),
    ("unknown-key", 56, "cookies[2].lifetim", "unknown key 'lifetim' (did you mean \"lifetime\"?)"),
    ("wrong-type", 24, "purposes.statistics.consent_mode", "expected an array in square brackets"),
    (
        "unknown-exemption",
        13,
        "purposes.necessary.exemption",
        "unknown exemption 'necessary' (did you mean \"strictly-necessary\"?)",
    ),
    ("missing-field", 26, "cookies[0].provider", "required, but missing"),
    ("language-not-listed", 21, "purposes.statistics.title.de", "'de' is not in [charter].languages (fr, en)"),
    # Issue 12, problem 3: values written back into Set-Cookie headers.
    ("path-splits-header", 37, "cookies[0].path", "without control characters or ';' (RFC 6265 path-value"),
    # Issue 12, problem 4: patterns run on RE2, which has no look-around and no back-reference.
    (
        "regex-lookahead",
        49,
        "cookies[2].regex",
        "look-ahead and look-behind, (?=...) (?!...) (?<=...) (?<!...), are not supported: cookie-name patterns run on RE2",
    ),
    (
        "regex-backreference",
        49,
        "cookies[2].regex",
        "back-references are not supported: cookie-name patterns run on RE2",
    ),
    ("path-adds-attribute", 37, "cookies[0].path", "without control characters or ';' (RFC 6265 path-value"),
]


@pytest.mark.parametrize(("fixture", "line", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_charter_is_rejected_with_file_line_and_field(fixture: str, line: int, field: str, message: str) -> None:
    path = BROKEN / f"{fixture}.toml"
    code, output = validate(path)
    assert code == 1, output
    expected = f"{path}:{line}: {field}: "
    reported = [row for row in output.splitlines() if row.startswith(expected)]
    assert reported, f"no problem reported as {expected!r} in:\n{output}"
    assert any(message in row for row in reported), output
    assert output.splitlines()[-1].startswith(f"{path}: invalid: ")


def test_every_broken_fixture_is_covered_by_a_case() -> None:
    # A fixture added without a case (or a case without its fixture) would test nothing.
    assert sorted(p.stem for p in BROKEN.glob("*.toml")) == sorted(c[0] for c in CASES)


def test_valid_base_of_the_broken_fixtures_passes() -> None:
    code, output = validate(FIXTURES / "valid.toml")
    assert code == 0, output
    assert "valid: 2 purposes, 3 cookies, 1 needs consent (statistics)" in output


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    text = (FIXTURES / "valid.toml").read_text(encoding="utf-8")
    text = text.replace('lifetime = "2 weeks"', 'lifetime = "forever"')
    text = text.replace('purpose = "statistics"', 'purpose = "stats"', 1)
    text = text.replace('title.en = "Statistics"\n', "")
    path = tmp_path / "many.toml"
    path.write_text(text, encoding="utf-8")
    code, output = validate(path)
    assert code == 1
    assert f"{path}:20: purposes.statistics.title.en: missing the 'en' translation" in output
    assert f'{path}:33: cookies[0].lifetime: expected "session" or a number and a unit' in output
    assert f"{path}:40: cookies[1].purpose: unknown purpose 'stats'" in output
    assert output.splitlines()[-1] == f"{path}: invalid: 3 problems"
    # In file order, one per line.
    lines = [int(row.split(":")[1]) for row in output.splitlines()[:-1]]
    assert lines == sorted(lines)


def test_demo_charters_are_valid_with_a_summary_each() -> None:
    code, output = validate(DEMO / "charter.toml", DEMO / "charter-seed.toml")
    assert code == 0, output
    demo, seed = output.splitlines()
    assert demo.startswith(
        f"{DEMO / 'charter.toml'}: valid: 3 purposes, 6 cookies, 2 need consent (statistics, embeds); digest "
    )
    assert "consent version " in demo
    assert seed.startswith(f"{DEMO / 'charter-seed.toml'}: valid: 1 purpose, 4 cookies, none needs consent (no banner)")


def test_one_invalid_file_among_valid_ones_fails_the_run() -> None:
    code, output = validate(DEMO / "charter.toml", BROKEN / "bad-lifetime.toml")
    assert code == 1
    assert ": valid: 3 purposes" in output
    assert f"{BROKEN / 'bad-lifetime.toml'}:34: cookies[0].lifetime:" in output


def test_missing_file_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    code, output = validate(tmp_path / "nope.toml")
    assert code == 2
    assert "does not exist" in output and "nope.toml" in output


def test_directory_exits_2(tmp_path: Path) -> None:
    code, output = validate(tmp_path)
    assert code == 2
    assert "is a directory" in output


def test_no_argument_is_a_usage_error() -> None:
    code, output = validate()
    assert code == 2
    assert "Missing argument" in output


def test_not_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    shutil.copy(FIXTURES / "valid.toml", path)
    raw = path.read_bytes().replace("Nécessaires".encode(), "Nécessaires".encode("latin-1"))
    path.write_bytes(raw)
    code, output = validate(path)
    assert code == 1
    assert f"{path}:14: the file is not UTF-8 text" in output


def test_json_format_for_editors_and_ci() -> None:
    import json

    result = CliRunner().invoke(
        main, ["validate", "--format", "json", str(DEMO / "charter-seed.toml"), str(BROKEN / "bad-lifetime.toml")]
    )
    assert result.exit_code == 1
    seed, broken = json.loads(result.stdout)
    assert seed["valid"] and seed["problems"] == [] and seed["cookies"] == 4 and seed["consent_purposes"] == []
    assert len(seed["digest"]) == 64 and len(seed["consent_version"]) == 10
    assert broken == {
        "file": str(BROKEN / "bad-lifetime.toml"),
        "valid": False,
        "problems": [
            {
                "file": str(BROKEN / "bad-lifetime.toml"),
                "line": 34,
                "field": "cookies[0].lifetime",
                "message": "unknown unit 'weks' in '2 weks'; use one of: second, minute, hour, day, week, month, year",
            }
        ],
    }
