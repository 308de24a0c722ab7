"""The charter: every cookie a site may set, grouped by purpose.

This module holds the immutable model only. Reading and validating a TOML file into it is
``cookiecharter.core.loading``; the Django layer adds Django's own cookies with
``Charter.with_cookies``. Declared patterns are matched with RE2 (``core.patterns``), in time
linear in the cookie name. Nothing here imports Django.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .lifetime import Lifetime
from .patterns import PatternSet, escape

#: Purpose keys appear in the consent cookie and in HTML attributes: keep them plain.
PURPOSE_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class Exemption(str, enum.Enum):
    """Why a purpose may do without consent (CNIL deliberation 2020-091, art. 82 loi Informatique et libertés)."""

    STRICTLY_NECESSARY = "strictly-necessary"
    CONSENT_STORAGE = "consent-storage"
    SECURITY = "security"
    REQUESTED_PREFERENCE = "requested-preference"
    AUDIENCE_MEASUREMENT = "audience-measurement"


class Party(str, enum.Enum):
    FIRST = "first"
    THIRD = "third"


class MatchKind(str, enum.Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    REGEX = "regex"


#: CNIL's ceiling for an exempt audience-measurement cookie.
AUDIENCE_MAX_LIFETIME = Lifetime.parse("13 months")

#: Google Consent Mode v2 consent types a purpose may grant.
CONSENT_MODE_TYPES = frozenset(
    {
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
        "analytics_storage",
        "functionality_storage",
        "personalization_storage",
        "security_storage",
    }
)


def _frozen(texts: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(texts or {}))


@dataclass(frozen=True)
class Source:
    """Where a piece of the charter was declared, for error messages and system checks."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Controller:
    """Who sets the cookies and answers for them (GDPR art. 4(7))."""

    name: str
    contact: str
    url: str = ""


class Translated:
    """A part of the charter with texts per language (mappings from language code to text)."""

    def text(self, attr: str, lang: str, fallback: str = "en") -> str:
        """The ``attr`` text in ``lang``, else in ``fallback``, else in any language, else ""."""
        texts: Mapping[str, str] = getattr(self, attr)
        return texts.get(lang) or texts.get(fallback) or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Purpose(Translated):
    key: str
    #: Translated title and description, keyed by language code.
    title: Mapping[str, str]
    description: Mapping[str, str]
    #: ``None`` when the purpose needs consent.
    exemption: Exemption | None = None
    #: Refused by a Global Privacy Control signal (advertising, sale or sharing with third parties).
    refused_by_gpc: bool = False
    #: Google Consent Mode v2 types granted when this purpose is granted.
    consent_mode: tuple[str, ...] = ()
    #: Its identifier in the ADPC consent requests ("" : not offered to ADPC; ``core.signals``).
    adpc: str = ""
    #: An ADPC consent for it grants it by itself (signal-based consent, opted in per purpose).
    adpc_consent: bool = False
    source: Source | None = field(default=None, compare=False)

    @property
    def needs_consent(self) -> bool:
        return self.exemption is None


@dataclass(frozen=True)
class CookieName:
    """An exact name, a prefix (``_ga_*``) or a regular expression."""

    kind: MatchKind
    value: str

    @classmethod
    def exact(cls, name: str) -> CookieName:
        return cls(MatchKind.EXACT, name)

    @classmethod
    def from_declaration(cls, name: str | None = None, regex: str | None = None) -> CookieName:
        if regex is not None:
            return cls(MatchKind.REGEX, regex)
        assert name is not None
        if name.endswith("*"):
            return cls(MatchKind.PREFIX, name[:-1])
        return cls(MatchKind.EXACT, name)

    def matches(self, name: str) -> bool:
        if self.kind is MatchKind.EXACT:
            return name == self.value
        if self.kind is MatchKind.PREFIX:
            return name.startswith(self.value)
        return self._pattern.first(name) is not None

    @cached_property
    def _pattern(self) -> PatternSet:
        return PatternSet((self.value,))

    @property
    def display(self) -> str:
        """How a person reads it on the charter page."""
        if self.kind is MatchKind.PREFIX:
            return self.value + "*"
        return self.value


@dataclass(frozen=True)
class Cookie(Translated):
    name: CookieName
    provider: str
    purpose: str
    #: Service and location, as the seed's "Authentification (front et back office)".
    service: Mapping[str, str]
    description: Mapping[str, str]
    lifetime: Lifetime
    party: Party = Party.FIRST
    #: For a third-party cookie: the domain that sets and reads it.
    domain: str = ""
    #: For a cookie exempt from consent: why it is strictly necessary (CNIL asks for one).
    reason: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    #: Where to send the deletion header on withdrawal (first-party cookies).
    path: str = "/"
    cookie_domain: str = ""
    #: A link to the provider's own policy (shown for third parties the site cannot delete).
    policy_url: str = ""
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Charter:
    controller: Controller
    languages: tuple[str, ...]
    purposes: tuple[Purpose, ...]
    cookies: tuple[Cookie, ...]
    #: A human label for the edition ("2026-11"), shown on the page; the digests are what count.
    edition: str = ""
    source: Source | None = field(default=None, compare=False)

    # -- lookups ---------------------------------------------------------------------------
    @cached_property
    def _purpose_index(self) -> Mapping[str, Purpose]:
        return MappingProxyType({p.key: p for p in self.purposes})

    def purpose(self, key: str) -> Purpose:
        return self._purpose_index[key]

    def has_purpose(self, key: str) -> bool:
        return key in self._purpose_index

    @cached_property
    def consent_purposes(self) -> tuple[Purpose, ...]:
        """The purposes a visitor is asked about, in declaration order."""
        return tuple(p for p in self.purposes if p.needs_consent)

    @cached_property
    def consent_keys(self) -> frozenset[str]:
        """The keys of ``consent_purposes``: what a consent may grant under this charter."""
        return frozenset(p.key for p in self.consent_purposes)

    @cached_property
    def needs_consent(self) -> bool:
        """False for a site that only sets exempt cookies: then no banner at all."""
        return any(p.needs_consent for p in self.purposes)

    def cookies_for(self, purpose_key: str) -> tuple[Cookie, ...]:
        return tuple(c for c in self.cookies if c.purpose == purpose_key)

    @cached_property
    def _matcher(self) -> _Matcher:
        return _Matcher(self.cookies)

    def match(self, cookie_name: str) -> Cookie | None:
        """The declaration a cookie name falls under, or None when it is undeclared."""
        return self._matcher.match(cookie_name)

    def declares(self, cookie_name: str) -> bool:
        return self.match(cookie_name) is not None

    # -- derivation ------------------------------------------------------------------------
    def with_cookies(self, extra: Iterable[Cookie], purposes: Iterable[Purpose] = ()) -> Charter:
        """A new charter with more declarations appended (used for Django's own cookies)."""
        return replace(
            self,
            purposes=self.purposes + tuple(purposes),
            cookies=self.cookies + tuple(extra),
        )

    # -- digests ---------------------------------------------------------------------------
    def as_data(self) -> dict[str, Any]:
        """Everything the charter says, as plain JSON-able data (stored with each version)."""
        return {
            "edition": self.edition,
            "controller": {
                "name": self.controller.name,
                "contact": self.controller.contact,
                "url": self.controller.url,
            },
            "languages": list(self.languages),
            "purposes": [_purpose_data(p) for p in self.purposes],
            "cookies": [_cookie_data(c) for c in self.cookies],
        }

    @cached_property
    def digest(self) -> str:
        """SHA-256 of everything the charter says; stable across runs and platforms."""
        return _sha256(self.as_data())

    @cached_property
    def consent_version(self) -> str:
        """A short hash of what consent is about: a change here asks every visitor again.

        It covers the purposes that need consent and, for each, its cookies, providers, parties
        and lifetimes. Texts are left out on purpose: a reworded description or a typo fixed in a
        necessary cookie's text must not reopen every visitor's banner (the ledger keeps the exact
        texts shown, by ``digest``).
        """
        data = [
            {
                "purpose": p.key,
                "cookies": sorted(
                    (
                        {
                            "match": [c.name.kind.value, c.name.value],
                            "provider": c.provider,
                            "party": c.party.value,
                            "domain": c.domain,
                            "lifetime": c.lifetime.seconds,
                        }
                        for c in self.cookies_for(p.key)
                    ),
                    key=lambda d: json.dumps(d, sort_keys=True),
                ),
            }
            for p in self.consent_purposes
        ]
        return _sha256(data)[:10]


class _Matcher:
    """All declared names compiled once: a dict for exact names, one RE2 set for the rest.

    Raises ``PatternError`` when a pattern does not compile (the loader refuses such a charter).
    """

    def __init__(self, cookies: Iterable[Cookie]) -> None:
        self.exact: dict[str, Cookie] = {}
        self.patterned: list[Cookie] = []
        patterns: list[str] = []
        for cookie in cookies:
            if cookie.name.kind is MatchKind.EXACT:
                self.exact.setdefault(cookie.name.value, cookie)
                continue
            self.patterned.append(cookie)
            prefix = cookie.name.kind is MatchKind.PREFIX
            patterns.append(escape(cookie.name.value) + ".*" if prefix else cookie.name.value)
        self.patterns = PatternSet(patterns) if patterns else None

    def match(self, name: str) -> Cookie | None:
        found = self.exact.get(name)
        if found is not None or self.patterns is None:
            return found
        # Among the patterns, the first declared wins (the loader lets no two overlap anyway).
        index = self.patterns.first(name)
        return None if index is None else self.patterned[index]


def charter_from_data(data: Mapping[str, Any]) -> Charter:
    """The charter back from ``Charter.as_data()`` (a stored charter version, a proof bundle), so
    that its digest, its texts digest and its page can be recomputed from the data alone.

    Fields a charter version stored by an older release may lack take their defaults (its digest
    is still the one of the data as stored). Raises ``ValueError`` (or ``KeyError``/``TypeError``)
    on data that is not such a charter.
    """
    controller = data["controller"]
    purposes = tuple(
        Purpose(
            key=str(p["key"]),
            title=_frozen(p["title"]),
            description=_frozen(p["description"]),
            exemption=Exemption(p["exemption"]) if p.get("exemption") else None,
            refused_by_gpc=bool(p.get("refused_by_gpc", False)),
            consent_mode=tuple(p.get("consent_mode", ())),
            adpc=str(p.get("adpc", "")),
            adpc_consent=bool(p.get("adpc_consent", False)),
        )
        for p in data["purposes"]
    )
    cookies = tuple(
        Cookie(
            name=CookieName(MatchKind(c["match"][0]), str(c["match"][1])),
            provider=str(c["provider"]),
            purpose=str(c["purpose"]),
            service=_frozen(c["service"]),
            description=_frozen(c["description"]),
            lifetime=Lifetime.parse(str(c["lifetime"])),
            party=Party(c.get("party", Party.FIRST.value)),
            domain=str(c.get("domain", "")),
            reason=_frozen(c.get("reason")),
            path=str(c.get("path", "/")),
            cookie_domain=str(c.get("cookie_domain", "")),
            policy_url=str(c.get("policy_url", "")),
        )
        for c in data["cookies"]
    )
    return Charter(
        controller=Controller(str(controller["name"]), str(controller["contact"]), str(controller["url"])),
        languages=tuple(str(lang) for lang in data["languages"]),
        purposes=purposes,
        cookies=cookies,
        edition=str(data.get("edition", "")),
    )


def _purpose_data(p: Purpose) -> dict[str, Any]:
    return {
        "key": p.key,
        "exemption": p.exemption.value if p.exemption else None,
        "refused_by_gpc": p.refused_by_gpc,
        "consent_mode": list(p.consent_mode),
        "title": dict(sorted(p.title.items())),
        "description": dict(sorted(p.description.items())),
        # Only when set, so that the digest of a charter without them is what it always was.
        **({"adpc": p.adpc, "adpc_consent": p.adpc_consent} if p.adpc else {}),
    }


def _cookie_data(c: Cookie) -> dict[str, Any]:
    return {
        "match": [c.name.kind.value, c.name.value],
        "provider": c.provider,
        "purpose": c.purpose,
        "service": dict(sorted(c.service.items())),
        "description": dict(sorted(c.description.items())),
        "lifetime": str(c.lifetime),
        "party": c.party.value,
        "domain": c.domain,
        "reason": dict(sorted(c.reason.items())),
        "path": c.path,
        "cookie_domain": c.cookie_domain,
        "policy_url": c.policy_url,
    }


def _sha256(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
