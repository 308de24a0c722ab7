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

from .core.charter import Charter
from .core.consent import Consent
from .core.decision import Undeclared
from .core.enforcement import SIX_MONTHS, HeaderEnforcer, Observer
from .core.setcookie import parse_cookie_header

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CookieCharterASGI:
    def __init__(
        self,
        app: ASGIApp,
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        enforcer = self.enforcer
        present = parse_cookie_header(
            b"; ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")
        )
        consent: Consent = enforcer.read_consent(present.get(enforcer.policy.consent_cookie_name))
        scope.setdefault("state", {})["consent"] = consent
        path = scope.get("path", "")

        async def send_filtered(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                set_cookies = [v.decode("latin-1") for k, v in headers if k.lower() == b"set-cookie"]
                replaced = enforcer.apply(set_cookies, present, consent, path)
                if replaced is not None:
                    kept = [(k, v) for k, v in headers if k.lower() != b"set-cookie"]
                    kept += [(b"set-cookie", value.encode("latin-1")) for value in replaced]
                    message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, send_filtered)
