"""Charter values that end up in headers, URLs and attributes hold nothing that could break them.

Issue 12, problem 3: a cookie's ``path`` and ``cookie_domain`` are written back into the deletion
``Set-Cookie`` headers; a CR/LF there splits the response, a ";" adds an attribute. RFC 6265 says
what they may hold. The same goes for the other values checked with a pattern: a ``$`` that lets a
trailing newline through is a hole in each of them.
"""

from __future__ import annotations

import pytest

from cookiecharter.core import loads_charter
from tests.core.test_loading_checks import HEAD, cookie, only, problems


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        # The two reproductions.
        ('path = "/x\\r\\nSet-Cookie: injected=1"', "cookies[0].path", "RFC 6265 path-value"),
        ('path = "/x; Domain=evil.example"', "cookies[0].path", "RFC 6265 path-value"),
        ('path = "/x\\n"', "cookies[0].path", "RFC 6265 path-value"),
        ('path = "/x\\u0000y"', "cookies[0].path", "RFC 6265 path-value"),
        ('path = "/x\\ty"', "cookies[0].path", "RFC 6265 path-value"),
        ('path = "/café"', "cookies[0].path", "RFC 6265 path-value"),  # not US-ASCII
        ('cookie_domain = "example.org\\n"', "cookies[0].cookie_domain", "expected a host name"),
        ('cookie_domain = "example.org\\r\\nSet-Cookie: x=1"', "cookies[0].cookie_domain", "expected a host name"),
        ('cookie_domain = ".example.org; Secure"', "cookies[0].cookie_domain", "expected a host name"),
        ('party = "third"\ndomain = "maps.example.net\\n"', "cookies[0].domain", "expected a host name"),
        ('policy_url = "https://maps.example.net/privacy\\n"', "cookies[0].policy_url", "expected an http(s) URL"),
    ],
)
def test_a_value_that_would_break_a_header_or_link_is_refused(extra: str, field: str, message: str) -> None:
    problem = only(HEAD + cookie(extra=extra + "\n"))
    # On the line of the key at fault (the cookie's extra lines start at line 26).
    assert (problem.file, problem.line, problem.field) == ("c.toml", 26 + extra.count("\n"), field)
    assert message in problem.message
    # The value is quoted with its escapes: the message stays on one line.
    assert "\n" not in problem.message and "\r" not in problem.message


@pytest.mark.parametrize("name", ['"a;b"', '"a\\r\\nb"', '"a=b"', '"a\\u0000"', '"x;*"'])
def test_a_cookie_name_is_an_rfc_6265_token(name: str) -> None:
    problem = only(HEAD + cookie(f"name = {name}"))
    assert problem.field == "cookies[0].name" and "RFC 6265" in problem.message


def test_the_path_may_hold_any_printable_ascii_but_the_semicolon() -> None:
    path = "/app/a-b_c.d~e!f$g&h'i(j)k*l+m,n=o:p@q%20r s"
    charter = loads_charter(HEAD + cookie(extra=f'path = "{path}"\ncookie_domain = ".example.org"\n'), "c.toml")
    assert (charter.cookies[0].path, charter.cookies[0].cookie_domain) == (path, ".example.org")


@pytest.mark.parametrize(
    ("replace", "by", "field"),
    [
        # A purpose key goes into the consent cookie and into HTML attributes.
        ("[purposes.ads]", '[purposes."ads\\n"]', 'purposes."ads\\n"'),
        ('name = "Town"', 'name = "Town"\nurl = "https://example.org\\n"', "controller.url"),
    ],
)
def test_a_trailing_newline_does_not_slip_through_a_pattern(replace: str, by: str, field: str) -> None:
    problem = only(HEAD.replace(replace, by) + cookie())
    assert problem.field == field


def test_a_language_code_with_a_trailing_newline_is_not_a_language_code() -> None:
    first = problems(HEAD.replace('languages = ["en"]', 'languages = ["en\\n"]') + cookie())[0]
    assert (first.field, "is not a language code" in first.message) == ("charter.languages[0]", True)
