"""The filter applied to raw header lists: the shared body of the ASGI and WSGI adapters.

Both adapters see a response as a list of ``Set-Cookie`` strings and a request as its ``Cookie``
header; this module turns those into the pure decision's arguments and the decision back into
headers. (The Django middleware works on ``response.cookies`` instead, and has its own few
lines for that.) Nothing here imports a web framework.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from .charter import Charter
from .consent import Consent, ConsentCodec
from .decision import CookieFilter, CookieToSet, Outcome, Policy, Reason, Undeclared, declaration_stub
from .setcookie import SetCookieHeader, deletion_header, parse_cookie_header

logger = logging.getLogger("cookiecharter.enforcement")

SIX_MONTHS = 15_778_800


class UndeclaredCookieError(Exception):
    """A response set a cookie the charter does not declare, under the "raise" policy."""


class UndeclaredCookie(Protocol):
    """What the message needs of a blocked undeclared cookie (a ``Blocked``, or a Django ``Sighting``)."""

    @property
    def name(self) -> str: ...

    @property
    def lifetime(self) -> int | None: ...


def undeclared_message(
    undeclared: Sequence[UndeclaredCookie],
    path: str,
    *,
    other_policies: str = 'choose the "block" or "report" policy for undeclared cookies',
) -> str:
    """The "raise" policy's error: the cookies blocked, the charter entries that would declare
    them, and ``other_policies`` (how to choose another policy, said in the adapter's terms)."""
    stubs = "\n\n".join(declaration_stub(b.name, b.lifetime, path) for b in undeclared)
    names = ", ".join(repr(b.name) for b in undeclared)
    return (
        f"The response to {path} sets {names}, which the cookie charter does not declare, so it "
        f"was blocked. Declare it by adding to the charter file:\n\n{stubs}\n\n"
        f"or {other_policies}."
    )


#: Called with the outcome and the request path whenever something was blocked, capped or
#: reported: where a site counts what it saw (the Django layer keeps ``ObservedCookie`` rows).
Observer = Callable[[Outcome, str], None]


@dataclass
class HeaderEnforcer:
    """A charter, a consent codec and a policy, ready to filter raw headers request by request."""

    charter: Charter
    codec: ConsentCodec
    policy: Policy
    consent_max_age: int = SIX_MONTHS
    observer: Observer | None = None

    def __post_init__(self) -> None:
        self.filter = CookieFilter.for_charter(self.charter, self.policy)
        self._purposes = frozenset(p.key for p in self.charter.consent_purposes)

    def read_consent(self, value: str | None) -> Consent:
        # The codec remembers the values it has verified: a returning visitor's HMAC is checked
        # once per process, not on every request.
        if not value:
            return Consent.undecided()
        return self.codec.decode(
            value,
            charter_version=self.charter.consent_version,
            max_age=self.consent_max_age,
            purposes=self._purposes,
        )

    def exchange(self, cookie_header: str, path: str) -> Exchange:
        """One request seen through this enforcer: its cookies, read once, and the consent they carry."""
        present = parse_cookie_header(cookie_header)
        return Exchange(self, present, self.read_consent(present.get(self.policy.consent_cookie_name)), path)

    def apply(
        self,
        set_cookies: Sequence[str],
        present: dict[str, str],
        consent: Consent,
        path: str,
    ) -> list[str] | None:
        """The ``Set-Cookie`` values to send instead of ``set_cookies``; None when unchanged.

        Raises ``UndeclaredCookieError`` under the "raise" policy.
        """
        if not set_cookies and not (present and self.filter.needs_attention(present)):
            return None
        now = time.time()
        parsed = [SetCookieHeader.parse(value) for value in set_cookies]
        to_set = [CookieToSet(h.name, h.lifetime(now)) for h in parsed]  # type: ignore[union-attr]
        # A decision made in this very response: the consent cookie it sets is signed by us, so it
        # can be trusted as much as the request's, and it is the newer one.
        for h, cookie in zip(parsed, to_set):
            if h is not None and h.name == self.policy.consent_cookie_name and not cookie.deletes:
                fresh = self.read_consent(h.value)
                if fresh.decided:
                    consent = fresh
        outcome = self.filter.decide(to_set, present, consent)
        if not outcome.changes_response and not outcome.reported:
            return None
        blocked = outcome.blocked_indexes
        capped = {c.index: c for c in outcome.capped}
        out: list[str] = []
        for i, (value, h) in enumerate(zip(set_cookies, parsed)):
            if i in blocked:
                continue
            if i in capped and h is not None:
                out.append(h.with_lifetime(capped[i].allowed, now))
            else:
                out.append(value)
        out.extend(deletion_header(d.name, d.path, d.domain) for d in outcome.deletions)
        self._report(outcome, path)
        if self.policy.undeclared is Undeclared.RAISE and outcome.undeclared:
            raise UndeclaredCookieError(undeclared_message(outcome.undeclared, path))
        return out

    def _report(self, outcome: Outcome, path: str) -> None:
        for b in outcome.blocked:
            logger.warning(
                "blocked cookie %r: %s (path %s)", b.name, b.reason.value, path,
                extra={"cookie": b.name, "reason": b.reason.value, "path": path, "view": "-"},
            )
        for b in outcome.reported:
            logger.warning(
                "undeclared cookie %r let through (report policy) (path %s)", b.name, path,
                extra={"cookie": b.name, "reason": b.reason.value, "path": path, "view": "-"},
            )
        for c in outcome.capped:
            logger.warning(
                "cookie %r asked to live %s s, more than its declared %s: capped (path %s)",
                c.name, c.requested, c.declaration.lifetime, path,
                extra={"cookie": c.name, "reason": Reason.LIFETIME_CAPPED.value, "path": path, "view": "-"},
            )
        if self.observer is not None and (outcome.blocked or outcome.reported or outcome.capped):
            self.observer(outcome, path)


@dataclass(frozen=True)
class Exchange:
    """A request and its coming response, as both adapters handle them: the request's cookies and
    consent are read when it arrives, the response's ``Set-Cookie`` values are filtered against
    them when its headers leave."""

    enforcer: HeaderEnforcer
    present: dict[str, str]
    consent: Consent
    path: str

    def filter(self, set_cookies: Sequence[str]) -> list[str] | None:
        """The ``Set-Cookie`` values to send instead; None when the response is left as it is."""
        return self.enforcer.apply(set_cookies, self.present, self.consent, self.path)


App = TypeVar("App")


class EnforcingMiddleware(Generic[App]):
    """What the ASGI and WSGI middleware share: the app they wrap and one enforcer built from
    plain arguments. Each subclass only maps its protocol's request and headers onto ``Exchange``."""

    def __init__(
        self,
        app: App,
        *,
        charter: Charter,
        secret: bytes | str,
        consent_cookie_name: str = "cookies_preferences",
        undeclared: Undeclared | str = Undeclared.BLOCK,
        consent_max_age: int = SIX_MONTHS,
        observer: Observer | None = None,
    ) -> None:
        self.app = app
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        self.enforcer = HeaderEnforcer(
            charter,
            ConsentCodec(key),
            Policy(consent_cookie_name=consent_cookie_name, undeclared=Undeclared(undeclared)),
            consent_max_age,
            observer,
        )
