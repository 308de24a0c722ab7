"""Pure ASGI middleware (Starlette, FastAPI, any ASGI app) over the core's one applier.

It edits the headers of ``http.response.start`` on their way out, as Starlette's own pure ASGI
middleware do, so streaming responses keep streaming and nothing but the headers is touched.
Starlette is not needed at run time. Usage::

    from cookiecharter.asgi import CookieCharterASGI
    from cookiecharter.core.loading import load_charter

    app = CookieCharterASGI(app, charter=load_charter("charter.toml"), secret=CONSENT_KEY)  # bytes; docs/adapters.md
    # Starlette: app.add_middleware(CookieCharterASGI, charter=..., secret=...)

The visitor's consent is put on ``scope["state"]["consent"]`` (``request.state.consent`` in
Starlette). ``secret`` is the consent cookie's HMAC key (bytes); the site's consent endpoint must
sign with the same key (``ConsentCodec(secret)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .core.charter import Charter
from .core.filter import Outcome
from .core.headers import Enforcer, without
from .core.setcookie import parse_cookie_header

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Called with the decisions and the request path whenever something was stopped, capped or reported.
Observer = Callable[[Outcome, str], None]


class CookieCharterASGI:
    """``CookieCharterASGI(app, charter=..., secret=b"...")``; the keyword arguments of
    ``Enforcer.from_secret`` (``consent_cookie_name``, ``undeclared``, ``consent_max_age``), an
    optional ``observer``, and ``withhold`` (True: the app never sees a cookie whose purpose the
    visitor has not granted)."""

    def __init__(
        self,
        app: ASGIApp,
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = b"; ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")
        present = parse_cookie_header(header)
        consent = self.enforcer.consent_of(present)
        path = scope.get("path", "")
        hidden = self.enforcer.withheld(present, consent) if self.withhold else []
        if hidden:  # the application never reads a cookie whose purpose is not granted
            rest = without(header, hidden).encode("latin-1")
            scope = {
                **scope,
                "headers": [(k, v) for k, v in scope["headers"] if k != b"cookie"]
                + ([(b"cookie", rest)] if rest else []),
            }
        scope.setdefault("state", {})["consent"] = consent

        async def send_filtered(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                values = [v.decode("latin-1") for k, v in headers if k.lower() == b"set-cookie"]
                filtered = self.enforcer.filter_headers(values, present, consent, path)
                if filtered is not None:
                    replaced, outcome = filtered
                    kept = [(k, v) for k, v in headers if k.lower() != b"set-cookie"]
                    kept += [(b"set-cookie", value.encode("latin-1")) for value in replaced]
                    message = {**message, "headers": kept}
                    if self.observer is not None:
                        self.observer(outcome, path)
            await send(message)

        await self.app(scope, receive, send_filtered)
