"""Fuzzed whole requests through the real stack (middleware, views, tags): whatever the visitor's
cookies and headers hold, no answer is a 5xx, and no response lets out a cookie the charter does not
declare or whose purpose the (genuine) consent does not grant, nor a header that splits."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests import fuzzing
from tests.django.site import charter

pytestmark = [pytest.mark.django_db, fuzzing.mark]

COOKIE_NAMES = st.one_of(
    st.sampled_from(
        [
            "cookies_preferences",
            "portal_audience",
            "sessionid",
            "csrftoken",
            "django_language",
            "mapwidget_session",
            "_ga",
            "tracker",
            "",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), max_size=12),
)
COOKIE_VALUES = st.text(max_size=40)
PATHS = st.sampled_from(
    ["/fr/cookies/", "/en/cookies/", "/fr/cookies/pdf/", "/fr/cookies/preferences/", "/fr/nowhere/"]
)


def cookie_header(pairs: list[tuple[str, str]]) -> str:
    text = "; ".join(f"{n}={v}" for n, v in pairs)
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def assert_nothing_forbidden_goes_out(response) -> None:
    assert response.status_code < 500, response.status_code
    site_charter = charter()
    for morsel in response.cookies.values():
        text = morsel.OutputString()
        assert "\r" not in text and "\n" not in text
        if morsel["max-age"] == 0 or morsel.key == "cookies_preferences":
            continue
        declared = site_charter.match(morsel.key)
        assert declared is not None, f"undeclared cookie went out: {text}"
        assert not site_charter.purpose(declared.purpose).needs_consent, f"unconsented cookie went out: {text}"


ADPC = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "withdraw=*",
            "withdraw=statistics",
            'consent="statistics embeds"',
            "object=direct-marketing",
            'withdraw=*, consent="statistics"',
            'consent="statistics',
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
)


@fuzzing.fuzz(60)
@given(
    cookies=st.lists(st.tuples(COOKIE_NAMES, COOKIE_VALUES), max_size=6),
    path=PATHS,
    gpc=st.sampled_from([None, "1", "0", "yes"]),
    adpc=ADPC,
    query=st.text(max_size=30),
)
def test_a_page_request_never_fails_nor_lets_out_what_it_must_not(cookies, path, gpc, adpc, query):
    extra = {"HTTP_COOKIE": cookie_header(cookies)}
    if gpc is not None:
        extra["HTTP_SEC_GPC"] = gpc
    if adpc is not None:
        extra["HTTP_ADPC"] = adpc
    response = Client().get(path, {"next": query, "cookiecharter": "preferences", "q": query}, **extra)
    assert_nothing_forbidden_goes_out(response)


@fuzzing.fuzz(60)
@given(
    cookies=st.lists(st.tuples(COOKIE_NAMES, COOKIE_VALUES), max_size=4),
    choice=st.one_of(st.sampled_from(["accept-all", "refuse-all", "custom"]), st.text(max_size=12)),
    purposes=st.lists(
        st.one_of(st.sampled_from(["statistics", "embeds", "necessary"]), st.text(max_size=8)), max_size=3
    ),
    nxt=st.text(max_size=40),
    json=st.booleans(),
)
def test_a_choice_posted_with_anything_never_fails(cookies, choice, purposes, nxt, json):
    extra = {"HTTP_COOKIE": cookie_header(cookies)}
    if json:
        extra["HTTP_ACCEPT"] = "application/json"
    response = Client().post("/fr/cookies/consent/", {"choice": choice, "purpose": purposes, "next": nxt}, **extra)
    assert response.status_code in (303, 200, 400, 503), response.status_code
    assert_nothing_forbidden_goes_out(response)
