"""WSGI middleware (Flask, Bottle, any WSGI app) over the core's one applier.

It wraps ``start_response`` and filters the ``Set-Cookie`` headers passed to it. Usage with
Flask::

    from cookiecharter.core.loading import load_charter
    from cookiecharter.wsgi import CookieCharterWSGI

    app.wsgi_app = CookieCharterWSGI(app.wsgi_app, charter=load_charter("charter.toml"), secret=CONSENT_KEY)  # bytes; docs/adapters.md

The visitor's consent is put in ``environ["cookiecharter.consent"]`` (in Flask:
``request.environ["cookiecharter.consent"]``). ``secret`` is the consent cookie's HMAC key (bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .core.charter import Charter
from .core.filter import Outcome
from .core.headers import Enforcer, without
from .core.setcookie import parse_cookie_header

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]
#: Called with the decisions and the request path whenever something was stopped, capped or reported.
Observer = Callable[[Outcome, str], None]

ENVIRON_KEY = "cookiecharter.consent"


class CookieCharterWSGI:
    """``CookieCharterWSGI(app, charter=..., secret=b"...")``; the keyword arguments of
    ``Enforcer.from_secret`` (``consent_cookie_name``, ``undeclared``, ``consent_max_age``), an
    optional ``observer``, and ``withhold`` (True: the app never sees a cookie whose purpose the
    visitor has not granted)."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        charter: Charter,
        secret: bytes,
        observer: Observer | None = None,
        withhold: bool = True,
        **options: Any,
    ) -> None:
        self.app = app
        self.enforcer = Enforcer.from_secret(charter, secret, **options)
        self.observer = observer
        self.withhold = withhold

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        present = parse_cookie_header(environ.get("HTTP_COOKIE", ""))
        consent = self.enforcer.consent_of(present)
        path = environ.get("PATH_INFO", "")
        hidden = self.enforcer.withheld(present, consent) if self.withhold else []
        if hidden:  # the application never reads a cookie whose purpose is not granted
            environ["HTTP_COOKIE"] = without(environ.get("HTTP_COOKIE", ""), hidden)
        environ[ENVIRON_KEY] = consent

        def start_filtered(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            values = [v for k, v in headers if k.lower() == "set-cookie"]
            filtered = self.enforcer.filter_headers(values, present, consent, path)
            if filtered is not None:
                replaced, outcome = filtered
                headers = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
                headers += [("Set-Cookie", value) for value in replaced]
                if self.observer is not None:
                    self.observer(outcome, path)
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, start_filtered)
