"""The WSGI middleware in front of a real Flask app, through Flask's test client."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import Flask, make_response, request

from cookiecharter.core.consent import Consent, ConsentCodec, new_consent_id
from cookiecharter.core.headers import UndeclaredCookieError
from cookiecharter.core.loading import load_charter
from cookiecharter.wsgi import ENVIRON_KEY, CookieCharterWSGI

CHARTER = load_charter(Path(__file__).parent.parent / "django" / "enforcement_charter.toml")
SECRET = b"flask-test-key-0123456789abcdef"


def signed(*granted: str) -> str:
    decision = Consent(new_consent_id(), datetime.now(timezone.utc), CHARTER.consent_version, frozenset(granted))
    return ConsentCodec(SECRET).encode(decision)


def make_app(**options) -> Flask:
    app = Flask(__name__)

    @app.get("/ga")
    def set_ga():
        consent = request.environ[ENVIRON_KEY]
        response = make_response(f"statistics={consent.allows('statistics')}")
        response.set_cookie("_ga", "GA1.2.3", max_age=2 * 365 * 86_400)
        response.set_cookie("cart", "1", max_age=3600)
        return response

    @app.get("/tracker")
    def set_tracker():
        response = make_response("tracker")
        response.set_cookie("tracker", "x")
        return response

    @app.get("/plain")
    def plain():
        return "plain"

    @app.get("/seen")
    def seen():
        return ",".join(sorted(request.cookies))

    app.wsgi_app = CookieCharterWSGI(app.wsgi_app, charter=CHARTER, secret=SECRET, **options)  # type: ignore[method-assign]
    return app


def names(response) -> list[str]:
    return [v.split("=", 1)[0] for v in response.headers.getlist("Set-Cookie")]


def test_ga_without_consent_is_not_sent():
    response = make_app().test_client().get("/ga")
    assert response.text == "statistics=False"
    assert names(response) == ["cart"]


def test_ga_with_consent_passes_capped():
    client = make_app().test_client()
    client.set_cookie("cookies_preferences", signed("statistics"))
    response = client.get("/ga")
    assert response.text == "statistics=True"
    (ga,) = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("_ga=")]
    assert "Max-Age=34187400" in ga


def test_undeclared_blocked_reported_raised():
    assert names(make_app().test_client().get("/tracker")) == []
    assert names(make_app(undeclared="report").test_client().get("/tracker")) == ["tracker"]
    with pytest.raises(UndeclaredCookieError, match=r"\[\[cookies\]\]"):
        make_app(undeclared="raise").test_client().get("/tracker")


def test_withdrawn_purpose_cookies_deleted_with_path_and_domain():
    client = make_app().test_client()
    client.set_cookie("cookies_preferences", signed())  # a refusal
    client.set_cookie("_ga", "1")
    client.set_cookie("_ga_Q", "2")
    client.set_cookie("cart", "3")
    values = make_response_values(client.get("/plain"))
    assert values == [
        '_ga=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Domain=.example.org',
        '_ga_Q=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/stats',
    ]


def make_response_values(response) -> list[str]:
    return sorted(response.headers.getlist("Set-Cookie"))


def test_a_remembered_consent_value_expires_with_the_consent():
    import time
    from datetime import timedelta

    decided = datetime.now(timezone.utc) - timedelta(seconds=98)
    value = ConsentCodec(SECRET).encode(
        Consent(new_consent_id(), decided, CHARTER.consent_version, frozenset({"statistics"}))
    )
    client = make_app(consent_max_age=100).test_client()
    client.set_cookie("cookies_preferences", value)
    assert client.get("/ga").text == "statistics=True"
    assert client.get("/ga").text == "statistics=True"  # remembered
    time.sleep(3)
    assert client.get("/ga").text == "statistics=False"


def test_a_str_secret_is_refused_with_the_fix():
    # A str is what a site passes when it hands over SECRET_KEY itself: every choice would then
    # read as "no choice yet", silently. It must fail at start-up, saying what to pass.
    app = Flask(__name__)
    with pytest.raises(TypeError, match=r"as bytes.*consent_key"):
        CookieCharterWSGI(app.wsgi_app, charter=CHARTER, secret="not-bytes")


def test_the_app_reads_no_cookie_of_a_purpose_not_granted():
    client = make_app().test_client()
    client.set_cookie("_ga", "GA1.2")
    client.set_cookie("cart", "1")
    assert client.get("/seen").text == "cart"
    client.set_cookie("cookies_preferences", signed("statistics"))
    assert client.get("/seen").text == "_ga,cart,cookies_preferences"
