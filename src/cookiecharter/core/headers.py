"""The one applier: what a response may send, given the request it answers.

Every adapter (the Django middleware, the ASGI and WSGI middleware) turns its framework's
request and response into the plain values below, asks an :class:`Enforcer`, and writes the answer
back. The rules themselves are the filter's (``core.filter``); this module adds what every adapter
would otherwise write again: reading the request's consent, trusting a choice the response itself
records, logging what was stopped, the "raise" policy's error, and rewriting raw ``Set-Cookie``
values. Nothing here imports a web framework.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .charter import Charter
from .consent import SIX_MONTHS, Consent, ConsentCodec
from .draft import declaration_stub
from .filter import Blocked, CookieFilter, CookieToSet, Outcome, Policy, Reason, Undeclared
from .setcookie import SetCookieHeader, deletion_header

logger = logging.getLogger("cookiecharter.enforcement")


class UndeclaredCookieError(Exception):
    """A response set a cookie the charter does not declare, under the "raise" policy."""


def undeclared_message(
    undeclared: Sequence[Blocked], path: str, other_policies: str, charter: Charter | None = None
) -> str:
    """The "raise" policy's error: the cookies blocked, the charter entries that would declare
    them, and ``other_policies`` (how to choose another policy, said in the adapter's terms)."""
    stubs = "\n\n".join(declaration_stub(b.name, b.lifetime, path, charter) for b in undeclared)
    names = ", ".join(repr(b.name) for b in undeclared)
    return (
        f"The response to {path} sets {names}, which the cookie charter does not declare, so it "
        f"was blocked. Declare it by adding to the charter file:\n\n{stubs}\n\n"
        f"or {other_policies}."
    )


@dataclass
class Enforcer:
    """One charter ready to judge responses: its compiled filter, the consent codec and the policy.

    ``policy_hint`` says, in the adapter's own terms, how to choose another policy for undeclared
    cookies; it ends the "raise" policy's error message.
    """

    charter: Charter
    codec: ConsentCodec
    policy: Policy = field(default_factory=Policy)
    consent_max_age: int = SIX_MONTHS
    policy_hint: str = 'choose the "block" or "report" policy for undeclared cookies'
    #: ``request.consent.allows`` of a purpose the charter lacks raises (under DEBUG: a typo).
    strict: bool = False

    def __post_init__(self) -> None:
        self.filter = CookieFilter(self.charter, self.policy)
        self._purposes = {p.key: p.needs_consent for p in self.charter.purposes}

    @classmethod
    def from_secret(
        cls,
        charter: Charter,
        secret: bytes,
        *,
        consent_cookie_name: str = "cookies_preferences",
        undeclared: Undeclared | str = Undeclared.BLOCK,
        consent_max_age: int = SIX_MONTHS,
    ) -> Enforcer:
        """An enforcer from plain arguments, as the ASGI and WSGI adapters take them.

        ``secret`` is the consent cookie's HMAC key, as bytes: the very key the site's consent
        endpoint signs with. A ``str`` is refused rather than encoded, because a site that passes
        its ``SECRET_KEY`` here while its endpoint signs with a key derived from it would read every
        visitor's choice as "no choice yet", silently.
        """
        if not isinstance(secret, bytes):
            raise TypeError(
                f"secret must be the consent cookie's signing key as bytes, not {type(secret).__name__}: "
                "pass the key the consent endpoint signs with (with Django: "
                "cookiecharter.sites.consent_key(settings.SECRET_KEY))"
            )
        return cls(
            charter,
            ConsentCodec(secret),
            Policy(consent_cookie_name=consent_cookie_name, undeclared=Undeclared(undeclared)),
            consent_max_age,
        )

    # -- the request ---------------------------------------------------------------------------
    def read_consent(self, value: str | None) -> Consent:
        """The choice a consent cookie's value carries (``Consent.undecided()`` for none, and for
        anything garbled, forged, expired or answering another version of the charter)."""
        return self.codec.decode(
            value,
            charter_version=self.charter.consent_version,
            max_age=self.consent_max_age,
            purposes=self.charter.consent_keys,
            charter_purposes=self._purposes,
            strict=self.strict,
        )

    def bind(self, consent: Consent) -> Consent:
        """``consent`` knowing this charter's purposes, so that its ``allows`` answers as the
        ``ifconsent`` tag does: granted or exempt, and never (or an error under ``strict``) unknown."""
        return consent.for_charter(self._purposes, strict=self.strict)

    def consent_of(self, cookies: Mapping[str, str]) -> Consent:
        """The choice a request's cookies carry."""
        return self.read_consent(cookies.get(self.policy.consent_cookie_name))

    def withheld(self, cookies: Iterable[str], consent: Consent) -> list[str]:
        """The request cookies the application must not read under this consent."""
        return self.filter.withheld(cookies, consent)

    # -- the response --------------------------------------------------------------------------
    def judge(self, to_set: Sequence[CookieToSet], present: Iterable[str], consent: Consent) -> Outcome | None:
        """The filter's decisions on a response, or None when it is to go out as it is.

        A response that records a choice sets the consent cookie; that cookie is signed by us, so
        it is trusted as much as the request's and, being newer, is the one the other cookies of
        the response are judged against (the cookies of a purpose just withdrawn get deleted).
        """
        for cookie in to_set:
            if cookie.name == self.policy.consent_cookie_name and not cookie.deletes:
                fresh = self.read_consent(cookie.value)
                if fresh.consent_id is not None:
                    consent = fresh
        outcome = self.filter.decide(to_set, present, consent)
        if outcome.changes_response or outcome.reported:
            return outcome
        return None

    def report(self, outcome: Outcome, path: str, view: str = "-") -> None:
        """Log what was stopped, capped or let through only to be reported; under the "raise"
        policy, raise ``UndeclaredCookieError`` naming the charter entries to add."""
        for b in outcome.blocked:
            logger.warning(
                "blocked cookie %r: %s%s (path %s, view %s)",
                b.name,
                b.reason.value,
                f" (purpose {b.purpose!r})" if b.purpose else "",
                path,
                view,
                extra={"cookie": b.name, "reason": b.reason.value, "path": path, "view": view},
            )
        for b in outcome.reported:
            logger.warning(
                'undeclared cookie %r let through (UNDECLARED is "report") (path %s, view %s)',
                b.name,
                path,
                view,
                extra={"cookie": b.name, "reason": b.reason.value, "path": path, "view": view},
            )
        for c in outcome.capped:
            logger.warning(
                "cookie %r asked to live %s s, more than its declared %s: capped (path %s, view %s)",
                c.name,
                c.requested,
                c.declaration.lifetime,
                path,
                view,
                extra={"cookie": c.name, "reason": Reason.LIFETIME_CAPPED.value, "path": path, "view": view},
            )
        for d in outcome.deletions:
            logger.info(
                "deleting cookie %r of a purpose not granted (path %s, view %s)",
                d.name,
                path,
                view,
                extra={"cookie": d.name, "reason": "deleted", "path": path, "view": view},
            )
        if self.policy.undeclared is Undeclared.RAISE and outcome.undeclared:
            raise UndeclaredCookieError(undeclared_message(outcome.undeclared, path, self.policy_hint, self.charter))

    def filter_headers(
        self, values: Sequence[str], present: Iterable[str], consent: Consent, path: str
    ) -> tuple[list[str], Outcome] | None:
        """Raw ``Set-Cookie`` values in, the values to send instead out (with the decisions), or
        None when the response is to go out as it is. For adapters that see headers as strings."""
        now = time.time()
        parsed = [SetCookieHeader.parse(value) for value in values]
        outcome = self.judge([h.to_set(now) for h in parsed], present, consent)
        if outcome is None:
            return None
        self.report(outcome, path)
        return rewrite(values, parsed, outcome, now), outcome


def without(cookie_header: str, names: Iterable[str]) -> str:
    """A request's ``Cookie`` header without the cookies called ``names``, the others as they were."""
    gone = set(names)
    kept = [pair for pair in cookie_header.split(";") if pair.partition("=")[0].strip() not in gone]
    return ";".join(kept).strip()


def rewrite(values: Sequence[str], parsed: Sequence[SetCookieHeader], outcome: Outcome, now: float) -> list[str]:
    """``values`` with the blocked ones left out, the capped ones rewritten and the deletions added."""
    blocked = outcome.blocked_indexes
    capped = {c.index: c for c in outcome.capped}
    out: list[str] = []
    for i, (value, header) in enumerate(zip(values, parsed)):
        if i in blocked:
            continue
        out.append(header.with_lifetime(capped[i].allowed, now) if i in capped else value)
    out.extend(deletion_header(d.name, d.path, d.domain) for d in outcome.deletions)
    return out
