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

Everything derived from the charter is compiled once per charter (:class:`CookieFilter`), so the
per-request cost is a few dict lookups. Nothing here imports Django.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from .charter import Charter, Cookie, MatchKind, Party
from .consent import Consent
from .lifetime import Lifetime

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


@dataclass(frozen=True)
class CookieToSet:
    """A cookie a response asks the browser to store.

    ``lifetime`` is in seconds from now (None: a session cookie; 0 or less: a deletion).
    """

    name: str
    lifetime: int | None = None

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


@dataclass(frozen=True)
class Outcome:
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


#: The outcome of a response that sets nothing and needs no deletion (shared, never rebuilt).
NOTHING = Outcome()


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
    """A charter compiled for enforcement. Build it once per charter (``for_charter`` caches)."""

    charter: Charter
    policy: Policy = field(default_factory=Policy)

    def __post_init__(self) -> None:
        purposes = {p.key: p for p in self.charter.purposes}
        self._rules: dict[int, _Rule] = {}
        self._exact: dict[str, _Rule] = {}
        self._has_patterns = False
        self._consent_patterns = False
        consent_names: set[str] = set()
        for cookie in self.charter.cookies:
            purpose = purposes.get(cookie.purpose)
            # A purpose the charter does not define cannot be exempt: treat it as needing consent.
            needs_consent = purpose is None or purpose.needs_consent
            rule = _Rule(
                declaration=cookie,
                purpose=cookie.purpose,
                needs_consent=needs_consent,
                max_lifetime=cookie.lifetime.seconds,
                deletable=cookie.party is Party.FIRST,
            )
            self._rules[id(cookie)] = rule
            if cookie.name.kind is MatchKind.EXACT:
                # The first declaration of a name wins, as in Charter.match.
                self._exact.setdefault(cookie.name.value, rule)
                if needs_consent and rule.deletable and self._exact[cookie.name.value] is rule:
                    consent_names.add(cookie.name.value)
            else:
                self._has_patterns = True
                if needs_consent and rule.deletable:
                    self._consent_patterns = True
        self._consent_names = frozenset(consent_names)
        #: Purposes needing consent whose cookies the site can delete: with all of them granted,
        #: no request cookie can call for a deletion.
        self.deletable_purposes = frozenset(
            r.purpose for r in self._rules.values() if r.needs_consent and r.deletable
        )
        # Exact names of exempt purposes -> their declared lifetime: what untouched() needs.
        self._exempt_exact: dict[str, int | None] = {
            name: rule.max_lifetime for name, rule in self._exact.items() if not rule.needs_consent
        }
        self.consent_purposes = frozenset(p.key for p in self.charter.consent_purposes)
        # Names seen before, with their rule: request cookie names come from visitors, so the
        # memo is bounded rather than allowed to grow with whatever they send.
        self._memo: dict[str, _Rule | None] = {}

    # -- compiled lookups ------------------------------------------------------------------
    _MEMO_LIMIT = 2048

    def _rule(self, name: str) -> _Rule | None:
        rule = self._exact.get(name)
        if rule is not None or not self._has_patterns:
            return rule
        try:
            return self._memo[name]
        except KeyError:
            pass
        declaration = self.charter.match(name)
        rule = self._rules.get(id(declaration)) if declaration is not None else None
        if len(self._memo) < self._MEMO_LIMIT:
            self._memo[name] = rule
        return rule

    def needs_attention(self, present: Iterable[str]) -> bool:
        """Could any of these request cookies need a deletion, for some consent? (cheap, no consent read)"""
        if not self.deletable_purposes:
            return False
        for name in present:
            if name in self._consent_names:
                return True
            if self._consent_patterns:
                rule = self._rule(name)
                if rule is not None and rule.needs_consent and rule.deletable:
                    return True
        return False

    def untouched(self, name: str, lifetime: int | None) -> bool:
        """True when ``decide`` would let this cookie through unchanged whatever the consent.

        A shortcut for the common response that only refreshes exempt cookies (Django re-sets
        the CSRF cookie on every page with a form): such a response needs neither the consent
        nor a full decision. False means "ask ``decide``", not "blocked".
        """
        if lifetime is not None and lifetime <= 0:
            return True  # a deletion
        if name == self.policy.consent_cookie_name:
            return True
        try:
            limit = self._exempt_exact[name]
        except KeyError:
            return False
        if lifetime is None:
            return True
        return limit is not None and lifetime <= limit + LIFETIME_SLACK_SECONDS

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
            rule = self._rule(name)
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
                rule = self._rule(name)
                if rule is None or not rule.needs_consent or not rule.deletable:
                    continue
                if rule.purpose in granted:
                    continue
                touched.add(name)
                deletions.append(
                    Deletion(name, rule.declaration.path or "/", rule.declaration.cookie_domain)
                )
        if not (kept or blocked or deletions):
            return NOTHING
        return Outcome(tuple(kept), tuple(blocked), tuple(reported), tuple(capped), tuple(deletions))

    # -- what the preferences centre shows -------------------------------------------------
    def third_party_cookies(self, purpose: str) -> tuple[Cookie, ...]:
        return third_party_cookies(self.charter, purpose)

    # -- one compiled filter per charter ---------------------------------------------------
    @classmethod
    def for_charter(cls, charter: Charter, policy: Policy | None = None) -> CookieFilter:
        """The compiled filter for this charter object and policy, built on first use."""
        policy = policy or Policy()
        key = (id(charter), policy)
        hit = _compiled.get(key)
        if hit is not None and hit.charter is charter:
            return hit
        built = cls(charter, policy)
        if len(_compiled) >= 16:  # charters are few; a reload replaces them, so keep the newest
            _compiled.clear()
        _compiled[key] = built
        return built


_compiled: dict[tuple[int, Policy], CookieFilter] = {}


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
    """Which of ``to_set`` may go out, and which of ``present`` (request cookies) to delete."""
    return CookieFilter.for_charter(charter, policy).decide(to_set, present, consent)


def third_party_cookies(charter: Charter, purpose: str) -> tuple[Cookie, ...]:
    """Cookies of a purpose that a third party sets and the site cannot delete.

    The preferences centre lists them after a withdrawal, each with its ``provider`` and
    ``policy_url``, so the visitor knows where to remove them.
    """
    return tuple(c for c in charter.cookies_for(purpose) if c.party is Party.THIRD)


def declaration_stub(name: str, lifetime: int | None = None, example_path: str = "") -> str:
    """The ``[[cookies]]`` TOML entry to add to the charter for an undeclared cookie.

    Filled with what is known (the name, the lifetime the site asked for); the rest is marked
    for a person to complete, since only they know the purpose and the provider.
    """
    if lifetime is not None and lifetime > 0:
        spelled = str(Lifetime.of_seconds(lifetime))
    else:
        spelled = "session"
    lines = ["[[cookies]]"]
    if example_path:
        lines.append(f"# seen on {_toml_comment(example_path)}")
    lines += [
        f"name = {_toml_string(name)}",
        'provider = "TODO: who sets it"',
        'purpose = "TODO: a purpose key of this charter"',
        'service.en = "TODO: the service and where it is used"',
        'description.en = "TODO: what it is for"',
        f'lifetime = "{spelled}"',
    ]
    return "\n".join(lines)


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def _toml_comment(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)
