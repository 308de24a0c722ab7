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

from .core.enforcement import EnforcingMiddleware

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

ENVIRON_KEY = "cookiecharter.consent"


class CookieCharterWSGI(EnforcingMiddleware[WSGIApp]):
    """Keyword arguments as ``EnforcingMiddleware``: ``charter``, ``secret``, ``consent_cookie_name``,
    ``undeclared``, ``consent_max_age``, ``observer``."""

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        exchange = self.enforcer.exchange(environ.get("HTTP_COOKIE", ""), environ.get("PATH_INFO", ""))
        environ[ENVIRON_KEY] = exchange.consent

        def start_filtered(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            replaced = exchange.filter([v for k, v in headers if k.lower() == "set-cookie"])
            if replaced is not None:
                headers = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
                headers += [("Set-Cookie", value) for value in replaced]
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, start_filtered)
