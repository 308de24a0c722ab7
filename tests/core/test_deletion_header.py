"""The deletion header never carries a value that would split it or add an attribute (issue 12, problem 3).

The charter loader refuses such a path or domain; these check the last guard, for what does not come
through the loader (a charter built in code, Django's cookie settings).
"""

from __future__ import annotations

import pytest

from cookiecharter.core.setcookie import SetCookieHeader, deletion_header


@pytest.mark.parametrize(
    ("name", "path", "domain"),
    [
        ("sid", "/x\r\nSet-Cookie: injected=1", ""),
        ("sid", "/x; Domain=evil.example", ""),
        ("sid", "/", "example.org\nX-Injected: 1"),
        ("sid", "/", "example.org; Secure"),
        ("sid\r\nX-Injected: 1", "/", ""),
        ("a;b", "/", ""),
    ],
)
def test_a_value_that_would_break_the_header_is_refused(name: str, path: str, domain: str) -> None:
    with pytest.raises(ValueError, match="would split the Set-Cookie header or add an attribute"):
        deletion_header(name, path, domain)


def test_a_deletion_header_reads_back_as_the_same_cookie_expired() -> None:
    header = deletion_header("_pk_id.1.ab", "/app", ".example.org")
    parsed = SetCookieHeader.parse(header)
    assert parsed is not None and parsed.name == "_pk_id.1.ab"
    assert {k.lower(): v for k, v in parsed.attributes} == {
        "expires": "Thu, 01 Jan 1970 00:00:00 GMT", "max-age": "0", "path": "/app", "domain": ".example.org",
    }  # fmt: skip
