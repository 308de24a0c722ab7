"""The Set-Cookie filter: which cookies a response may set, and which it must delete.

One pure function, :func:`decide`, over plain arguments; the Django middleware and the ASGI and
WSGI adapters are thin layers that turn their framework's response into these arguments and apply
the :class:`Outcome`. The rules (docs/enforcement.md):

- the consent cookie itself, and every cookie of an exempt purpose, always pass;
- a cookie of a purpose that needs consent passes only when that purpose is granted;
- a cookie the charter does not declare is blocked (or only reported, by policy);
- a deletion (Max-Age <= 0, or an Expires in the past) always passes: removing is always allowed;
- a declared cookie asked to live longer than its declared lifetime is capped to it;
- a first-party cookie the browser still sends, of a purpose not granted (withdrawn, or written by
  a script without consent), gets a deletion on the declared path and domain.

What is derived from the charter is compiled once per charter (:class:`CookieFilter`), so the
per-request cost is a few dict lookups. What every response builds (the cookies to set and the
outcome) are named tuples, which cost about a quarter of a frozen dataclass to build
(docs/benchmarks.md); the verdicts, built only when something is stopped, are dataclasses.
Nothing here imports Django. In this package a *decision* is always this filter's verdict on a
cookie; what a visitor does is a *choice*.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .charter import Charter, Cookie, Party
from .consent import Consent

#: Lifetimes computed from an ``Expires`` date lose up to a second or two to the clock between the
#: framework writing it and us reading it; this slack keeps an exact declared lifetime from being
#: "capped" by one second.
LIFETIME_SLACK_SECONDS = 5


class Reason(str, enum.Enum):
    """Why a cookie was not let through as asked."""

    UNDECLARED = "undeclared"
    NOT_CONSENTED = "not-consented"
    #: Not blocked: let through with a shorter lifetime.
    LIFETIME_CAPPED = "lifetime-capped"


class Undeclared(str, enum.Enum):
    """What to do with a cookie the charter does not declare."""

    BLOCK = "block"
    #: Let it through, but report it (log and record), to complete the charter from production.
    REPORT = "report"
    #: Adapters raise an error naming the charter entry to add; the core blocks it meanwhile.
    RAISE = "raise"


@dataclass(frozen=True)
class Policy:
    consent_cookie_name: str = "cookies_preferences"
    undeclared: Undeclared = Undeclared.BLOCK


class CookieToSet(NamedTuple):
    """A cookie a response asks the browser to store.

    ``lifetime`` is in seconds from now (None: a session cookie; 0 or less: a deletion).
    ``value`` matters only for the consent cookie: a response that records a choice carries it.
    """

    name: str
    lifetime: int | None = None
    value: str = ""

    @property
    def deletes(self) -> bool:
        return self.lifetime is not None and self.lifetime <= 0


@dataclass(frozen=True)
class Blocked:
    name: str
    reason: Reason
    #: The charter entry it falls under (None when undeclared).
    declaration: Cookie | None = None
    #: For a cookie of a purpose needing consent: that purpose.
    purpose: str | None = None
    lifetime: int | None = None
    #: Position in the cookies to set, so an adapter can tell two cookies of one name apart.
    index: int = -1


@dataclass(frozen=True)
class Capped:
    name: str
    requested: int
    #: The declared lifetime in seconds; None when it is declared a session cookie.
    allowed: int | None
    declaration: Cookie
    index: int = -1


@dataclass(frozen=True)
class Deletion:
    """A header to send so the browser drops a cookie: name, path and domain as declared."""

    name: str
    path: str = "/"
    domain: str = ""


class Outcome(NamedTuple):
    kept: tuple[str, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    #: Undeclared cookies let through because the policy only reports them.
    reported: tuple[Blocked, ...] = ()
    capped: tuple[Capped, ...] = ()
    deletions: tuple[Deletion, ...] = ()

    @property
    def changes_response(self) -> bool:
        return bool(self.blocked or self.capped or self.deletions)

    @property
    def blocked_indexes(self) -> frozenset[int]:
        return frozenset(b.index for b in self.blocked)

    @property
    def blocked_names(self) -> frozenset[str]:
        return frozenset(b.name for b in self.blocked)

    @property
    def undeclared(self) -> tuple[Blocked, ...]:
        """Every undeclared cookie, blocked or only reported."""
        return tuple(b for b in (*self.blocked, *self.reported) if b.reason is Reason.UNDECLARED)


@dataclass(frozen=True)
class _Rule:
    """One declaration, with what enforcement needs about it precomputed."""

    declaration: Cookie
    purpose: str
    needs_consent: bool
    max_lifetime: int | None
    #: The site can delete it (first party); a third party's cookie is out of its reach.
    deletable: bool


@dataclass
class CookieFilter:
    """A charter compiled for enforcement: build it once per charter (a site object holds one)."""

    charter: Charter
    policy: Policy = field(default_factory=Policy)

    def __post_init__(self) -> None:
        purposes = {p.key: p for p in self.charter.purposes}
        # One rule per declaration, found through the charter's own matcher (exact names in a dict,
        # patterns in one compiled expression): the filter never restates how names match.
        self._rules: dict[int, _Rule] = {}
        for cookie in self.charter.cookies:
            purpose = purposes.get(cookie.purpose)
            # A purpose the charter does not define cannot be exempt: treat it as needing consent.
            self._rules[id(cookie)] = _Rule(
                declaration=cookie,
                purpose=cookie.purpose,
                needs_consent=purpose is None or purpose.needs_consent,
                max_lifetime=cookie.lifetime.seconds,
                deletable=cookie.party is Party.FIRST,
            )
        #: Purposes needing consent (a cookie of any other is exempt, or undeclared).
        self.consent_purposes = frozenset(r.purpose for r in self._rules.values() if r.needs_consent)
        #: Purposes needing consent whose cookies the site can delete: with all of them granted,
        #: no request cookie can call for a deletion.
        self.deletable_purposes = frozenset(r.purpose for r in self._rules.values() if r.needs_consent and r.deletable)

    def rule(self, name: str) -> _Rule | None:
        """The compiled declaration ``name`` falls under, or None when it is undeclared."""
        declaration = self.charter.match(name)
        return None if declaration is None else self._rules[id(declaration)]

    def withheld(self, present: Iterable[str], consent: Consent) -> list[str]:
        """The request cookies a view must not read: declared, of a purpose that needs consent and
        that this consent does not grant (never asked, refused or withdrawn)."""
        granted = consent.granted
        if self.consent_purposes <= granted:
            return []  # everything that needs consent is granted: nothing to withhold
        out = []
        for name in present:
            rule = self.rule(name)
            if rule is not None and rule.needs_consent and rule.purpose not in granted:
                out.append(name)
        return out

    # -- the decision ----------------------------------------------------------------------
    def decide(
        self,
        to_set: Iterable[CookieToSet],
        present: Iterable[str],
        consent: Consent,
    ) -> Outcome:
        granted = consent.granted
        consent_cookie = self.policy.consent_cookie_name
        report_undeclared = self.policy.undeclared is Undeclared.REPORT
        kept: list[str] = []
        blocked: list[Blocked] = []
        reported: list[Blocked] = []
        capped: list[Capped] = []
        touched: set[str] = set()

        for index, cookie in enumerate(to_set):
            name = cookie.name
            if cookie.deletes or name == consent_cookie:
                kept.append(name)
                touched.add(name)
                continue
            rule = self.rule(name)
            if rule is None:
                verdict = Blocked(name, Reason.UNDECLARED, lifetime=cookie.lifetime, index=index)
                if report_undeclared:
                    reported.append(verdict)
                    kept.append(name)
                    touched.add(name)
                else:
                    blocked.append(verdict)
                continue
            if rule.needs_consent and rule.purpose not in granted:
                blocked.append(
                    Blocked(name, Reason.NOT_CONSENTED, rule.declaration, rule.purpose, cookie.lifetime, index)
                )
                continue
            kept.append(name)
            touched.add(name)
            requested = cookie.lifetime
            if requested is not None and _too_long(requested, rule.max_lifetime):
                capped.append(Capped(name, requested, rule.max_lifetime, rule.declaration, index))

        deletions: list[Deletion] = []
        # A blocked cookie is not in ``touched``: if the browser already holds a copy (set before
        # a withdrawal), the loop below deletes it, so blocking a re-set leaves nothing behind.
        # With every purpose whose cookies the site can delete granted, there is nothing to delete.
        if self.deletable_purposes - granted:
            for name in present:
                if name in touched:
                    continue
                rule = self.rule(name)
                if rule is None or not rule.needs_consent or not rule.deletable or rule.purpose in granted:
                    continue
                touched.add(name)
                deletions.append(Deletion(name, rule.declaration.path or "/", rule.declaration.cookie_domain))
        return Outcome(tuple(kept), tuple(blocked), tuple(reported), tuple(capped), tuple(deletions))


def _too_long(requested: int, allowed: int | None) -> bool:
    if allowed is None:  # declared a session cookie: any persistent lifetime is too long
        return True
    return requested > allowed + LIFETIME_SLACK_SECONDS


def decide(
    to_set: Iterable[CookieToSet],
    present: Iterable[str],
    consent: Consent,
    charter: Charter,
    policy: Policy | None = None,
) -> Outcome:
    """Which of ``to_set`` may go out, and which of ``present`` (request cookies) to delete.

    Compiles the charter on every call: a server keeps one ``CookieFilter`` per charter instead.
    """
    return CookieFilter(charter, policy or Policy()).decide(to_set, present, consent)


def third_party_cookies(charter: Charter, purpose: str) -> tuple[Cookie, ...]:
    """Cookies of a purpose that a third party sets and the site cannot delete.

    The preferences centre lists them after a withdrawal, each with its ``provider`` and
    ``policy_url``, so the visitor knows where to remove them.
    """
    return tuple(c for c in charter.cookies_for(purpose) if c.party is Party.THIRD)
