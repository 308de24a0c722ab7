"""WSGI middleware (Flask, Bottle, any WSGI app) over the same core filter.

It wraps ``start_response`` and filters the ``Set-Cookie`` headers passed to it. Usage with
Flask::

    from cookiecharter.wsgi import CookieCharterWSGI

    app.wsgi_app = CookieCharterWSGI(app.wsgi_app, charter=load_charter("charter.toml"), secret=KEY)

The visitor's consent is put in ``environ["cookiecharter.consent"]`` (in Flask:
``request.environ["cookiecharter.consent"]``). ``secret`` is the consent cookie's HMAC key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .core.charter import Charter
from .core.decision import Undeclared
from .core.enforcement import SIX_MONTHS, HeaderEnforcer, Observer
from .core.setcookie import parse_cookie_header

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

ENVIRON_KEY = "cookiecharter.consent"


class CookieCharterWSGI:
    def __init__(
        self,
        app: WSGIApp,
        *,
        charter: Charter,
        secret: bytes | str,
        consent_cookie_name: str = "cookies_preferences",
        undeclared: Undeclared | str = Undeclared.BLOCK,
        consent_max_age: int = SIX_MONTHS,
        observer: Observer | None = None,
    ) -> None:
        self.app = app
        self.enforcer = HeaderEnforcer.build(
            charter,
            secret,
            consent_cookie_name=consent_cookie_name,
            undeclared=undeclared,
            consent_max_age=consent_max_age,
            observer=observer,
        )

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        enforcer = self.enforcer
        present = parse_cookie_header(environ.get("HTTP_COOKIE", ""))
        consent = enforcer.read_consent(present.get(enforcer.policy.consent_cookie_name))
        environ[ENVIRON_KEY] = consent
        path = environ.get("PATH_INFO", "")

        def start_filtered(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            set_cookies = [v for k, v in headers if k.lower() == "set-cookie"]
            replaced = enforcer.apply(set_cookies, present, consent, path)
            if replaced is not None:
                headers = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
                headers += [("Set-Cookie", value) for value in replaced]
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, start_filtered)
