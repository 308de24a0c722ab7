"""Pure ASGI middleware (Starlette, FastAPI, any ASGI app) over the same core filter.

It edits the headers of ``http.response.start`` on their way out, as Starlette's own pure ASGI
middleware do, so streaming responses keep streaming and nothing but the headers is touched.
Starlette is not needed at run time. Usage::

    from cookiecharter.asgi import CookieCharterASGI
    from cookiecharter.core.loading import load_charter

    app = CookieCharterASGI(app, charter=load_charter("charter.toml"), secret=CONSENT_KEY)
    # Starlette: app.add_middleware(CookieCharterASGI, charter=..., secret=...)

The visitor's consent is put on ``scope["state"]["consent"]`` (``request.state.consent`` in
Starlette). ``secret`` is the consent cookie's HMAC key; the consent endpoint of the site must
sign with the same key (``ConsentCodec(secret)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .core.enforcement import EnforcingMiddleware

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CookieCharterASGI(EnforcingMiddleware[ASGIApp]):
    """Keyword arguments as ``EnforcingMiddleware``: ``charter``, ``secret``, ``consent_cookie_name``,
    ``undeclared``, ``consent_max_age``, ``observer``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = self.enforcer.exchange(
            b"; ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1"),
            scope.get("path", ""),
        )
        scope.setdefault("state", {})["consent"] = exchange.consent

        async def send_filtered(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                set_cookies = [v.decode("latin-1") for k, v in headers if k.lower() == b"set-cookie"]
                replaced = exchange.filter(set_cookies)
                if replaced is not None:
                    kept = [(k, v) for k, v in headers if k.lower() != b"set-cookie"]
                    kept += [(b"set-cookie", value.encode("latin-1")) for value in replaced]
                    message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, send_filtered)
