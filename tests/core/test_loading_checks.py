"""loads_charter on small texts: the checks not covered by the CLI fixtures, and the locator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiecharter.core import CharterError, CookieName, MatchKind, Problem, loads_charter

HEAD = """\
[charter]
languages = ["en"]

[controller]
name = "Town"
contact = "dpo@example.org"

[purposes.necessary]
exemption = "strictly-necessary"
title.en = "Necessary"
description.en = "Needed."

[purposes.ads]
title.en = "Ads"
description.en = "Advertising."
refused_by_gpc = true
"""


def cookie(name: str = 'name = "sid"', purpose: str = "necessary", extra: str = "") -> str:
    reason = 'reason.en = "Needed."\n' if purpose == "necessary" else ""
    return f"""
[[cookies]]
{name}
provider = "Town"
purpose = "{purpose}"
service.en = "Site"
description.en = "A cookie."
lifetime = "1 day"
{reason}{extra}"""


def problems(text: str) -> list[Problem]:
    with pytest.raises(CharterError) as caught:
        loads_charter(text, "c.toml")
    return caught.value.problems


def only(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def test_minimal_charter_loads() -> None:
    charter = loads_charter(HEAD + cookie() + cookie('name = "ad*"', "ads"), "c.toml")
    assert [c.name.kind for c in charter.cookies] == [MatchKind.EXACT, MatchKind.PREFIX]
    assert charter.cookies[0].source is not None and charter.cookies[0].source.line == 18
    assert charter.purpose("ads").source is not None and charter.purpose("ads").source.line == 13


def test_error_str_is_one_line_per_problem() -> None:
    text = HEAD + cookie().replace('"1 day"', '"soon"') + cookie('name = "a b"')
    with pytest.raises(CharterError) as caught:
        loads_charter(text, "c.toml")
    error = caught.value
    assert isinstance(error, ValueError)
    assert str(error).splitlines() == [str(p) for p in error.problems]
    assert str(error).splitlines()[0].startswith('c.toml:24: cookies[0].lifetime: expected "session"')


def test_problem_str_without_line_or_field() -> None:
    assert str(Problem("f.toml", None, "", "gone")) == "f.toml: gone"
    assert str(Problem("f.toml", 3, "charter", "bad")) == "f.toml:3: charter: bad"


@pytest.mark.parametrize(
    ("declaration", "field", "message"),
    [
        ('name = "*"', "cookies[0].name", 'a prefix needs at least one character before "*"'),
        ('name = "a;b*"', "cookies[0].name", "no cookie name can start with it"),
        ('name = "x"\nregex = "x+"', "cookies[0].regex", "give `name` or `regex`, not both"),
        ('regex = ".*"', "cookies[0].regex", "matches any cookie name"),
        ('regex = "\\\\S+"', "cookies[0].regex", "matches any cookie name"),
        ('regex = "(?P<n>a)b"', "cookies[0].regex", "named groups (n) are not allowed"),
        (
            'regex = "(a)\\\\1"',
            "cookies[0].regex",
            "back-references are not supported: cookie-name patterns run on RE2",
        ),
        ('regex = "a(?i)b"', "cookies[0].regex", "scope it instead, as (?i:...)"),
        ('regex = "(?i)ab"', "cookies[0].regex", "scope it instead, as (?i:...)"),
        ('regex = "a[ ,;]b"', "cookies[0].regex", "can never match a valid cookie name"),
        ('regex = "(?:a b|c;d)"', "cookies[0].regex", "can never match a valid cookie name"),
        ('regex = ""', "cookies[0].regex", "an empty regex"),
        # What RE2, the linear-time engine, lacks or reads differently (issue 12, problem 4).
        ('regex = "_ga(?=_)[A-Z0-9_]+"', "cookies[0].regex", "look-ahead and look-behind"),
        ('regex = "(?<!x)_ga_[0-9]+"', "cookies[0].regex", "look-ahead and look-behind"),
        ('regex = "_ga_(?![0-9])[A-Z]+"', "cookies[0].regex", "look-ahead and look-behind"),
        ('regex = "(?>_ga_[0-9]+)"', "cookies[0].regex", "atomic groups and possessive repeats"),
        ('regex = "_ga_[0-9]++"', "cookies[0].regex", "atomic groups and possessive repeats"),
        (
            'regex = "_ga_[0-9]+\\\\Z"',
            "cookies[0].regex",
            "invalid escape sequence: \\Z; a pattern always matches the whole",
        ),
        ('regex = "_ga_[0-9]{1001}"', "cookies[0].regex", "invalid repetition size: {1001}; RE2 repeats at most 1000"),
        ('regex = "_ga_[0-9]{,3}"', "cookies[0].regex", "write {0,n} rather than {,n}"),
    ],
)
def test_names_and_patterns(declaration: str, field: str, message: str) -> None:
    problem = only(HEAD + cookie(declaration))
    assert problem.field == field
    # The [[cookies]] header when the problem is the pair, else the key's own line.
    assert problem.line == (18 if field == "cookies[0]" else 20 if "\n" in declaration else 19)
    assert message in problem.message


def test_a_regex_may_use_a_class_and_optional_parts() -> None:
    charter = loads_charter(HEAD + cookie('regex = "_ga(?:_[A-Z0-9]{4,12})?"', "ads"), "c.toml")
    assert charter.declares("_ga") and charter.declares("_ga_ABCD12") and not charter.declares("_gab")


@pytest.mark.parametrize(
    ("first", "second", "witness"),
    [
        ('name = "_ga*"', 'name = "_ga_x*"', "_ga_x"),  # prefix covers prefix
        ('name = "_ga_x*"', 'name = "_ga*"', "_ga_x"),  # the other way round
        ('name = "_ga_1"', 'regex = "_ga_[0-9]"', "_ga_1"),  # regex covers exact
        ('regex = "_ga_[0-9]+"', 'regex = "_ga_[0-9a-f]{2}"', "_ga_00"),  # regex vs regex
        ('regex = "sess(?:ion)?"', 'name = "sess*"', "sess"),  # prefix covers a regex's examples
        ('name = "abc*"', 'regex = "[a-c]+"', "abca"),  # regex covers the prefix itself
    ],
)
def test_overlaps(first: str, second: str, witness: str) -> None:
    problem = only(HEAD + cookie(first, "ads") + cookie(second, "ads"))
    assert problem.field.startswith("cookies[1].")
    assert f"a cookie named {witness!r} matches both" in problem.message


def test_names_that_do_not_overlap() -> None:
    text = (
        HEAD + cookie('name = "_ga"', "ads") + cookie('name = "_ga_*"', "ads")
        + cookie('regex = "_gid[0-9]"', "ads") + cookie('name = "_gi"', "ads") + cookie('name = "_gat*"', "ads")
    )  # fmt: skip
    assert len(loads_charter(text).cookies) == 5


def test_same_regex_twice_is_a_duplicate() -> None:
    problem = only(HEAD + cookie('regex = "a[0-9]"', "ads") + cookie('regex = "a[0-9]"', "ads"))
    assert problem.message.startswith("duplicate cookie `a[0-9]`")


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ('party = "3rd"', "cookies[0].party", 'expected "first" or "third"'),
        ('domain = "maps.example.net"', "cookies[0].domain", 'set party = "third"'),
        ('party = "third"\ndomain = "not a host"', "cookies[0].domain", "expected a host name"),
        ('cookie_domain = "exa mple.org"', "cookies[0].cookie_domain", "expected a host name"),
        ('path = "admin"', "cookies[0].path", "a cookie path starts with '/'"),
        ('policy_url = "example.org/privacy"', "cookies[0].policy_url", "expected an http(s) URL"),
        ('reason.fr = "Pourquoi"', "cookies[0].reason.fr", "'fr' is not in [charter].languages (en)"),
        ('service.en = ""', "", ""),  # TOML itself refuses a key defined twice
    ],
)
def test_cookie_fields(extra: str, field: str, message: str) -> None:
    found = problems(HEAD + cookie(extra=extra + "\n"))
    if not field:
        assert found[0].message.startswith("TOML syntax error")
        return
    assert [(p.field, message in p.message) for p in found] == [(field, True)], found


def test_empty_text_is_refused() -> None:
    problem = only(HEAD.replace('title.en = "Necessary"', 'title.en = "  "') + cookie())
    assert (problem.line, problem.field, problem.message) == (10, "purposes.necessary.title.en", "must not be empty")


def test_host_prefix_needs_root_path_and_no_domain() -> None:
    problem = only(HEAD + cookie('name = "__Host-sid"', extra='path = "/app"\n'))
    assert problem.field == "cookies[0].path" and "__Host-" in problem.message
    loads_charter(HEAD + cookie('name = "__Host-sid"'))


def test_advertising_consent_mode_rules() -> None:
    exempt = HEAD.replace('exemption = "strictly-necessary"', 'exemption = "security"\nconsent_mode = ["ad_storage"]')
    assert "no exemption covers them" in only(exempt + cookie()).message
    no_gpc = HEAD.replace("refused_by_gpc = true", 'consent_mode = ["ad_storage", "ad_user_data"]')
    problem = only(no_gpc + cookie())
    assert problem.field == "purposes.ads.consent_mode" and "add refused_by_gpc = true" in problem.message


def test_exempt_audience_measurement_must_be_first_party() -> None:
    text = HEAD.replace('exemption = "strictly-necessary"', 'exemption = "audience-measurement"')
    problem = only(text + cookie(extra='party = "third"\ndomain = "stats.example.net"\n'))
    assert problem.field == "cookies[0].party" and "must be first-party" in problem.message


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ('["en", "en"]', "'en' is listed twice"),
        ('["English"]', "is not a language code"),
        ('"en"', "expected an array"),
    ],
)
def test_languages(languages: str, message: str) -> None:
    found = problems(HEAD.replace('languages = ["en"]', f"languages = {languages}") + cookie())
    assert found[0].line == 2 and found[0].field.startswith("charter.languages")
    assert message in found[0].message


def test_missing_tables_and_unknown_top_level() -> None:
    found = problems('[charter]\nlanguages = ["en"]\n\n[cookie]\nname = "x"\n')
    assert [(p.line, p.field) for p in found] == [(None, "controller"), (None, "purposes"), (4, "cookie")]
    assert 'did you mean "cookies"?' in found[2].message


def test_empty_purposes_table() -> None:
    text = HEAD[: HEAD.index("[purposes.necessary]")] + "[purposes]\n"
    assert [(p.line, p.field, p.message) for p in problems(text)] == [
        (8, "purposes", "declare at least one purpose, such as [purposes.necessary]")
    ]


def test_a_broken_purpose_does_not_make_its_cookies_unknown() -> None:
    text = HEAD.replace('title.en = "Ads"', "title.en = 3") + cookie(purpose="ads")
    assert [(p.line, p.field) for p in problems(text)] == [(14, "purposes.ads.title.en")]


def test_wrong_type_and_unknown_key_in_the_same_table_are_both_reported() -> None:
    text = HEAD.replace("refused_by_gpc = true", 'refused_by_gpc = "yes"\ncolour = "red"') + cookie()
    found = problems(text)
    assert [(p.line, p.field) for p in found] == [(16, "purposes.ads.refused_by_gpc"), (17, "purposes.ads.colour")]
    assert found[0].message == "expected true or false, got a string"


def test_locator_knows_sub_tables_inline_tables_and_quoted_keys() -> None:
    text = (
        HEAD
        + """
[[cookies]]
name = "sid"
provider = "Town"
purpose = "necessary"
description = { en = "A cookie." }
lifetime = "1 dya"
reason.en = "Needed."
[cookies.service]
en = 4

[[cookies]]
"name" = "b c"
provider = '''
lifetime = "multi-line string, not a key"
'''
purpose = "necessary"
service.en = "x"
description.en = "y"
lifetime = "1 yr"
"""
    )
    found = problems(text)
    assert [(p.line, p.field) for p in found] == [
        (23, "cookies[0].lifetime"),
        (26, "cookies[0].service.en"),
        (28, "cookies[1].reason"),
        (29, "cookies[1].name"),
        (36, "cookies[1].lifetime"),
    ]


def test_syntax_errors_carry_their_line() -> None:
    problem = only(HEAD + cookie() + "\n[[cookies]\n")
    assert problem.line == 27 and problem.message.startswith("TOML syntax error")


def test_byte_order_mark_is_accepted(tmp_path) -> None:
    from cookiecharter.core import load_charter

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + cookie()).encode())
    assert load_charter(path).cookies[0].name.value == "sid"
    assert loads_charter("\ufeff" + HEAD + cookie()).cookies[0].name.value == "sid"


def test_unreadable_file_raises_oserror_not_charter_error(tmp_path) -> None:
    from cookiecharter.core import load_charter

    with pytest.raises(FileNotFoundError):
        load_charter(tmp_path / "missing.toml")


def test_patterns_that_backtrack_catastrophically_are_analysed_at_once() -> None:
    # Issue 12, problem 4: with Python's re, the overlap search ran each pattern on the other's
    # examples, and these two alone took over 10 s to validate (their examples fail only at the end).
    evil = ["((a+)+)+$", "((a+)+)+b", "((x+x+)+)+y", "((x+x+)+)+z", "(q|q?q)+r"]
    charter = loads_charter(HEAD + "".join(cookie(f"regex = '{p}'", "ads") for p in evil), "c.toml")
    assert [c.name.value for c in charter.cookies] == evil
    # The search still finds an overlap when there is one, and names the cookie that shows it.
    problem = only(HEAD + cookie("regex = '((a+)+)+$'", "ads") + cookie("regex = '(a|aa)+'", "ads"))
    assert problem.field == "cookies[1].regex" and "a cookie named 'a' matches both" in problem.message


def test_patterns_too_large_together_for_re2_are_one_problem() -> None:
    # Each compiles on its own; RE2 bounds the memory of one matcher, and all of them exceed it.
    big = "".join(cookie(f"regex = 'p{i}_(?:[a-z]{{1000}}|[0-9]{{1000}}|.{{1000}})'", "ads") for i in range(60))
    problem = only(HEAD + big)
    assert (problem.line, problem.field) == (None, "cookies")
    assert "the patterns do not compile together" in problem.message and "shorten the longest" in problem.message


def test_regex_python_warns_about_is_refused() -> None:
    problem = only(HEAD + cookie('regex = "a[[b]"'))
    assert (
        problem.field == "cookies[0].regex" and "ambiguous regular expression: Possible nested set" in problem.message
    )


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?:)", "only matches the empty name"),
        ("a(?:b|(c)\\1)", "back-references are not supported"),
        ("(a)?(?(1)b|c)", "back-references are not supported"),
        ("[a-z]{2}", None),
    ],
)
def test_cookie_name_problem_is_public_for_charters_built_in_code(pattern: str, message: str | None) -> None:
    from cookiecharter.core import CookieName
    from cookiecharter.core.loading import cookie_name_problem

    problem = cookie_name_problem(CookieName.from_declaration(regex=pattern))
    assert problem == message if message is None else message in (problem or "")
    assert cookie_name_problem(CookieName.exact("")) == "a cookie name cannot be empty"


def test_charter_error_pickles_with_its_problems() -> None:
    import pickle

    with pytest.raises(CharterError) as caught:
        loads_charter(HEAD + cookie('name = "a b"'), "c.toml")
    error = caught.value
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems and str(copy) == str(error)


# -- exact names and prefixes: the overlap check is exact, so "accepted" means "no name matches twice"
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="ab_", min_size=1, max_size=4), st.booleans()), min_size=1, max_size=6))
def test_exact_and_prefix_overlaps_are_found_exactly(declared: list[tuple[str, bool]]) -> None:
    names = [CookieName.from_declaration(name=value + ("*" if prefix else "")) for value, prefix in declared]
    text = HEAD + "".join(cookie(f'name = "{n.display}"', "ads") for n in names)
    candidates = {n.value for n in names} | {n.value + "x" for n in names}
    ambiguous = any(sum(n.matches(c) for n in names) > 1 for c in candidates)
    try:
        charter = loads_charter(text)
    except CharterError as exc:
        assert ambiguous, str(exc)
        assert all("overlaps" in p.message or "duplicate" in p.message for p in exc.problems)
    else:
        assert not ambiguous
        assert [c.name for c in charter.cookies] == names


def test_a_text_given_as_a_plain_string_says_how_to_give_it_per_language() -> None:
    problem = only(HEAD.replace('title.en = "Ads"', 'title = "Ads"') + cookie())
    assert (problem.line, problem.field) == (14, "purposes.ads.title")
    assert problem.message == 'expected a text per language, such as title.en = "...", got a string'


@pytest.mark.parametrize(
    ("replacement", "field", "message"),
    [
        ("[cookies]\nname = 1\n", "cookies", "expected an array of tables ([[cookies]]), got a table"),
        ("[[purposes]]\nx = 1\n", "", "TOML syntax error"),  # [purposes.x] tables already exist
        ("[purposes.extra]\nexemption = 3\n", "purposes.extra.exemption", "expected a string in quotes"),
    ],
)
def test_common_table_mistakes(replacement: str, field: str, message: str) -> None:
    found = problems(HEAD + replacement)
    assert any(p.field.startswith(field) and message in p.message for p in found), found


@pytest.mark.parametrize(
    ("text", "line", "field", "hint"),
    [
        ('[charter]\nlanguages = ["fr"]\nlanguages = ["en"]\n', 3, "charter.languages", "this key is given twice"),
        ("[charter]\n[controller]\n[charter]\n", 3, "charter", "this table is declared twice"),
        ("[controller]\nname = Town\n", 2, "controller.name", "strings need quotes"),
        ("[controller]\nfull name = 1\n", 2, "controller", "expected key = value"),
    ],
)
def test_syntax_errors_say_what_they_usually_mean(text: str, line: int, field: str, hint: str) -> None:
    problem = only(text)
    assert (problem.line, problem.field) == (line, field)
    assert problem.message.startswith("TOML syntax error: ") and hint in problem.message


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ("dpo@example", "expected an e-mail address"),
        ("dpo @example.org", "expected an e-mail address"),
        ("https://", "expected an http(s) URL"),
        ("", "must not be empty"),
        ("mailto:dpo@example.org", None),
        ("https://example.org/contact", None),
        ("Mairie, 1 place de l'Hôtel de Ville, 13100 Aix-en-Provence", None),
    ],
)
def test_controller_contact(contact: str, message: str | None) -> None:
    text = HEAD.replace('contact = "dpo@example.org"', f'contact = "{contact}"') + cookie()
    if message is None:
        assert loads_charter(text).controller.contact == contact
    else:
        problem = only(text)
        assert (problem.line, problem.field) == (6, "controller.contact") and message in problem.message


def test_without_a_purposes_table_cookies_are_not_each_reported_as_unknown() -> None:
    text = HEAD[: HEAD.index("[purposes.necessary]")] + cookie() + cookie('name = "b"')
    assert [(p.line, p.field) for p in problems(text)] == [(None, "purposes")]


def test_lines_count_newlines_only_and_windows_line_ends_work() -> None:
    # A U+2028 inside a string is one line for TOML; a CRLF file has the same line numbers.
    text = HEAD.replace('"Advertising."', '"Advertising\u2028and more."') + cookie().replace('"1 day"', '"1 dya"')
    assert [(p.line, p.field) for p in problems(text)] == [(24, "cookies[0].lifetime")]
    assert [(p.line, p.field) for p in problems(text.replace("\n", "\r\n"))] == [(24, "cookies[0].lifetime")]


# -- TOML mistakes a newcomer made, each with its hint (issue 13) --------------------------------


def _problem(text: str) -> str:
    with pytest.raises(CharterError) as caught:
        loads_charter(text, "c.toml")
    return str(caught.value)


def test_an_unquoted_lifetime_says_strings_need_quotes():
    assert 'strings need quotes ("13 months"' in _problem("[[cookies]]\nlifetime = 13 months\n")
    assert 'strings need quotes ("2 weeks")' in _problem("[[cookies]]\nlifetime = session\n")


def test_two_cookies_tables_name_the_array_of_tables():
    assert "[[cookies]], with double brackets" in _problem('[cookies]\nname = "a"\n[cookies]\nname = "b"\n')


def test_a_latin1_file_with_a_bom_names_the_right_byte_and_line(tmp_path):
    from cookiecharter.core.loading import load_charter

    path = tmp_path / "c.toml"
    path.write_bytes(b'\xef\xbb\xbf[charter]\nedition = "caf\xe9"\n')
    with pytest.raises(CharterError) as caught:
        load_charter(path)
    (problem,) = caught.value.problems
    assert problem.line == 2 and "byte 0xe9" in problem.message
