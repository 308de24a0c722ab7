"""The knowledge base of well-known cookies and hosts (``scan/data/knowledge.toml``).

It classifies what a site sets without declaring it (vendor, usual purpose, typical lifetime) and
drafts charter entries for ``--suggest``. Its ``version`` is printed in every report, so a finding
can be traced to the knowledge it was made with.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ..core.lifetime import Lifetime
from .model import Classification

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CATEGORIES = ("necessary", "security", "consent", "preferences", "statistics", "advertising", "functional")
#: Categories whose cookies never need consent (CNIL's exemptions).
EXEMPT_CATEGORIES = frozenset({"necessary", "security", "consent", "preferences"})


class KnowledgeBaseError(ValueError):
    pass


@dataclass(frozen=True)
class KnownCookie:
    pattern: str
    vendor: str
    category: str
    lifetime: Lifetime
    domain: str = ""
    about: str = ""

    @property
    def kind(self) -> str:
        if len(self.pattern) > 2 and self.pattern.startswith("/") and self.pattern.endswith("/"):
            return "regex"
        return "prefix" if self.pattern.endswith("*") else "exact"

    def matches(self, name: str) -> bool:
        if self.kind == "exact":
            return name == self.pattern
        if self.kind == "prefix":
            return name.startswith(self.pattern[:-1])
        return re.fullmatch(self.pattern[1:-1], name) is not None

    def domain_matches(self, cookie_domain: str) -> bool:
        if not self.domain:
            return True
        d = cookie_domain.lower().lstrip(".")
        return d == self.domain or d.endswith("." + self.domain)

    def classification(self) -> Classification:
        return Classification(
            vendor=self.vendor,
            category=self.category,
            typical_lifetime=str(self.lifetime),
            description=self.about,
            pattern=self.pattern,
        )


@dataclass(frozen=True)
class KnownHost:
    domain: str
    vendor: str
    category: str


class KnowledgeBase:
    def __init__(self, version: str, cookies: list[KnownCookie], hosts: list[KnownHost]) -> None:
        self.version = version
        self.cookies = cookies
        self.hosts = hosts
        self._exact: dict[str, list[KnownCookie]] = {}
        patterned = []
        for known in cookies:
            if known.kind == "exact":
                self._exact.setdefault(known.pattern, []).append(known)
            else:
                patterned.append(known)
        # The most specific pattern first: the longest literal prefix ("_hjSession_*" before "_hj*").
        self._patterned = sorted(patterned, key=lambda k: -len(k.pattern.rstrip("*").lstrip("/")))

    def lookup(self, name: str, domain: str = "") -> KnownCookie | None:
        """The entry for a cookie; one bound to the cookie's domain beats a general one."""
        candidates = self._exact.get(name, []) or [k for k in self._patterned if k.matches(name)]
        fitting = [k for k in candidates if k.domain and k.domain_matches(domain)]
        if fitting:
            return fitting[0]
        general = [k for k in candidates if not k.domain]
        if general:
            return general[0]
        # An entry bound to another domain still names the vendor a reader should suspect, but
        # only for names specific enough to mean something (not "uid", "m", "ts", "lang").
        specific = [k for k in candidates if len(name) >= 5]
        return specific[0] if specific else None

    def classify(self, name: str, domain: str = "") -> Classification | None:
        known = self.lookup(name, domain)
        return known.classification() if known else None

    def host(self, host: str) -> KnownHost | None:
        host = host.lower().split(":")[0]
        best: KnownHost | None = None
        for known in self.hosts:
            matches = host == known.domain or host.endswith("." + known.domain)
            if matches and (best is None or len(known.domain) > len(best.domain)):
                best = known
        return best

    def category_of(self, name: str) -> str | None:
        """The usual category of a cookie (or storage key) name, or None when unknown."""
        known = self.lookup(name)
        return known.category if known else None

    def vendor_of_host(self, host: str) -> str | None:
        known = self.host(host)
        return known.vendor if known else None


def parse_knowledge_base(data: dict[str, Any], source: str = "knowledge.toml") -> KnowledgeBase:
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise KnowledgeBaseError(f"{source}: a knowledge base needs a version string")
    cookies: list[KnownCookie] = []
    for i, entry in enumerate(data.get("cookies", [])):
        try:
            category = entry["category"]
            if category not in CATEGORIES:
                raise KnowledgeBaseError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
            known = KnownCookie(
                pattern=entry["name"],
                vendor=entry["vendor"],
                category=category,
                lifetime=Lifetime.parse(entry["lifetime"]),
                domain=entry.get("domain", "").lower(),
                about=entry.get("about", ""),
            )
            if known.kind == "regex":
                re.compile(known.pattern[1:-1])
        except (KeyError, ValueError, re.error) as exc:
            raise KnowledgeBaseError(f"{source}: cookies[{i}] ({entry.get('name', '?')}): {exc}") from None
        cookies.append(known)
    hosts = [KnownHost(h["domain"].lower(), h["vendor"], h["category"]) for h in data.get("hosts", [])]
    return KnowledgeBase(version, cookies, hosts)


@lru_cache(maxsize=1)
def default_knowledge_base() -> KnowledgeBase:
    """The knowledge base shipped in the wheel."""
    text = resources.files("cookiecharter.scan").joinpath("data/knowledge.toml").read_text(encoding="utf-8")
    return parse_knowledge_base(tomllib.loads(text), "cookiecharter/scan/data/knowledge.toml")
