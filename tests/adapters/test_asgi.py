"""The ASGI middleware in front of a real Starlette app, through Starlette's TestClient (httpx2, or httpx on older Starlette)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from cookiecharter.asgi import CookieCharterASGI
from cookiecharter.core.consent import Consent, ConsentCodec, new_consent_id
from cookiecharter.core.headers import UndeclaredCookieError
from cookiecharter.core.loading import load_charter

CHARTER = load_charter(Path(__file__).parent.parent / "django" / "enforcement_charter.toml")
SECRET = b"starlette-test-key-0123456789abcdef"


def signed(*granted: str) -> str:
    decision = Consent(new_consent_id(), datetime.now(timezone.utc), CHARTER.consent_version, frozenset(granted))
    return ConsentCodec(SECRET).encode(decision)


async def set_ga(request: Request) -> PlainTextResponse:
    response = PlainTextResponse(f"statistics={request.state.consent.allows('statistics')}")
    response.set_cookie("_ga", "GA1.2.3", max_age=2 * 365 * 86_400)
    response.set_cookie("cart", "1", max_age=3600)
    return response


async def set_tracker(request: Request) -> PlainTextResponse:
    response = PlainTextResponse("tracker")
    response.set_cookie("tracker", "x")
    return response


async def refuse(request: Request) -> PlainTextResponse:
    # A consent endpoint of this app: the refusal it signs is the decision for this response.
    response = PlainTextResponse("refused")
    decision = Consent(new_consent_id(), datetime.now(timezone.utc), CHARTER.consent_version, frozenset())
    response.set_cookie("cookies_preferences", ConsentCodec(SECRET).encode(decision))
    return response


async def stream(request: Request) -> StreamingResponse:
    async def body():
        yield b"a"
        yield b"b"

    response = StreamingResponse(body())
    response.set_cookie("_ga", "streamed")
    return response


async def seen(request: Request) -> PlainTextResponse:
    return PlainTextResponse(",".join(sorted(request.cookies)))


def make_client(**options) -> TestClient:
    app = Starlette(
        routes=[
            Route("/ga", set_ga),
            Route("/tracker", set_tracker),
            Route("/refuse", refuse),
            Route("/stream", stream),
            Route("/seen", seen),
        ]
    )
    app.add_middleware(CookieCharterASGI, charter=CHARTER, secret=SECRET, **options)
    return TestClient(app)


def set_cookie_names(response) -> list[str]:
    return [v.split("=", 1)[0] for v in response.headers.get_list("set-cookie")]


def test_ga_without_consent_is_not_sent():
    response = make_client().get("/ga")
    assert response.text == "statistics=False"
    assert set_cookie_names(response) == ["cart"]


def test_ga_with_consent_passes_capped():
    response = make_client().get("/ga", headers={"Cookie": f"cookies_preferences={signed('statistics')}"})
    assert response.text == "statistics=True"
    (ga,) = [v for v in response.headers.get_list("set-cookie") if v.startswith("_ga=")]
    assert "Max-Age=34187400" in ga


def test_forged_consent_is_no_decision():
    value = signed("statistics")
    response = make_client().get("/ga", headers={"Cookie": f"cookies_preferences={value[:-2]}xx"})
    assert "_ga" not in set_cookie_names(response)


def test_undeclared_blocked_reported_raised():
    assert set_cookie_names(make_client().get("/tracker")) == []
    seen = []
    client = make_client(undeclared="report", observer=lambda outcome, path: seen.append((outcome, path)))
    assert set_cookie_names(client.get("/tracker")) == ["tracker"]
    assert [(b.name, path) for o, path in seen for b in o.reported] == [("tracker", "/tracker")]
    with pytest.raises(UndeclaredCookieError, match='name = "tracker"'):
        make_client(undeclared="raise").get("/tracker")


def test_decision_in_this_response_deletes_withdrawn_cookies():
    response = make_client().get(
        "/refuse", headers={"Cookie": f"cookies_preferences={signed('statistics')}; _ga=1; _ga_Z=2"}
    )
    values = response.headers.get_list("set-cookie")
    assert any(v.startswith("cookies_preferences=") for v in values)
    assert '_ga=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Domain=.example.org' in values
    assert '_ga_Z=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/stats' in values


def test_streaming_response_filtered_and_body_intact():
    response = make_client().get("/stream")
    assert response.text == "ab" and set_cookie_names(response) == []


def test_the_app_reads_no_cookie_of_a_purpose_not_granted():
    client = make_client()
    client.cookies.set("_ga", "GA1.2")
    client.cookies.set("cart", "1")
    assert client.get("/seen").text == "cart"
    client.cookies.set("cookies_preferences", signed("statistics"))
    assert client.get("/seen").text == "_ga,cart,cookies_preferences"
    off = make_client(withhold=False)
    off.cookies.set("_ga", "GA1.2")
    assert off.get("/seen").text == "_ga"
