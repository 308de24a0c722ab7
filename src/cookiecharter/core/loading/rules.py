"""What a charter means, checked table by table (the third pass), and the ``Charter`` built from it.

References between purposes and cookies, overlapping names, lifetimes, translations, the CNIL
rules for exempt cookies, and so on. Every problem is reported, none stops the others: a person
fixing a charter sees the whole list at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..charter import (
    AUDIENCE_MAX_LIFETIME,
    CONSENT_MODE_TYPES,
    PURPOSE_KEY_RE,
    Charter,
    Controller,
    Cookie,
    CookieName,
    Exemption,
    MatchKind,
    Party,
    Purpose,
    Source,
)
from ..lifetime import Lifetime, LifetimeError
from ..patterns import PatternError
from ..setcookie import is_attribute_value
from .locator import Loc
from .names import Named, cookie_name_problem, overlap_witness
from .problems import CharterError, Problem, Report, did_you_mean
from .schema import (
    TOP_KEYS,
    CharterSection,
    ControllerSection,
    CookieSection,
    PurposeSection,
    read_section,
    toml_type,
)

# Each is used with fullmatch: with match() and "$", a value ending in a newline would pass, and
# these values end up in headers, attributes and links.
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"\.?(?:{_LABEL}\.)*{_LABEL}")
_EMAIL_RE = re.compile(r"(?:mailto:)?[^@\s]+@[^@\s]+\.[^@\s.]+")
_URL_RE = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?")
_EXEMPTIONS = tuple(e.value for e in Exemption)
_ADVERTISING_MODES = frozenset({"ad_storage", "ad_user_data", "ad_personalization"})
_PARTIES = tuple(p.value for p in Party)


def _texts(texts: Mapping[str, str] | None) -> Mapping[str, str]:
    """Per-language texts as a read-only mapping: the charter is immutable all the way down."""
    return MappingProxyType(dict(texts or {}))


class Rules:
    """The meaning checks of one charter file; ``charter(data)`` runs them all."""

    def __init__(self, report: Report) -> None:
        self.report = report
        #: The purpose keys declared, valid or not; None when there is no readable [purposes]
        #: table (then cookies' purposes are not checked: that one problem is reported once).
        self.purpose_keys: list[str] | None = None

    def charter(self, data: dict[str, Any]) -> Charter:
        """The charter ``data`` (parsed TOML) declares; raises ``CharterError`` with every problem found."""
        for key in data:
            if key not in TOP_KEYS:
                self.report.problem(
                    (key,),
                    f"unknown top-level key{did_you_mean(key, TOP_KEYS)}; a charter has [charter], [controller], "
                    "[purposes.KEY] and [[cookies]]",
                )
        for key in ("charter", "controller", "purposes"):
            if key not in data:
                self.report.problem((key,), f"the [{key}] table is required, but missing")

        report = self.report
        head = read_section(report, ("charter",), CharterSection, data["charter"]) if "charter" in data else None
        controller = (
            read_section(report, ("controller",), ControllerSection, data["controller"])
            if "controller" in data
            else None
        )
        languages = self.check_languages(head) if head is not None else None
        if controller is not None:
            self.check_controller(controller)
        purposes = self.load_purposes(data["purposes"], languages) if "purposes" in data else {}
        cookies = self.load_cookies(data.get("cookies", []), purposes, languages)
        self.check_overlaps(cookies)

        if self.report.problems:
            raise CharterError(self.report.problems)
        assert head is not None and controller is not None and languages is not None
        charter = Charter(
            controller=Controller(name=controller.name or "", contact=controller.contact or "", url=controller.url),
            languages=languages,
            purposes=tuple(purposes.values()),
            cookies=tuple(c for c, _ in cookies if c is not None),
            edition=head.edition,
            source=Source(self.report.filename),
        )
        try:
            charter.match("")  # compiles every pattern into the one matcher now, not on first request
        except PatternError as exc:
            # Each pattern compiled on its own, so what is left is their size together.
            message = (
                f"the patterns do not compile together ({exc}): together they need more memory than RE2 "
                "allows a matcher; shorten the longest ones, or declare fewer patterns"
            )
            raise CharterError([Problem(self.report.filename, None, "cookies", message)]) from None
        return charter

    def check_languages(self, head: CharterSection) -> tuple[str, ...] | None:
        loc: Loc = ("charter", "languages")
        if head.languages is None:
            return None
        if not head.languages:
            self.report.problem(loc, 'list at least one language, such as ["fr", "en"] (the first is the default)')
            return None
        ok = True
        seen: set[str] = set()
        for i, lang in enumerate(head.languages):
            if not _LANGUAGE_RE.fullmatch(lang):
                self.report.problem(
                    (*loc, i), f'{lang!r} is not a language code; expected a code such as "fr", "en" or "pt-BR"',
                    line_of=loc,
                )  # fmt: skip
                ok = False
            elif lang in seen:
                self.report.problem((*loc, i), f"{lang!r} is listed twice", line_of=loc)
                ok = False
            seen.add(lang)
        return tuple(head.languages) if ok else None

    def check_controller(self, controller: ControllerSection) -> None:
        for key in ("name", "contact"):
            value = getattr(controller, key)
            if value is not None and not value.strip():
                self.report.problem(("controller", key), "must not be empty: the charter page shows it")
        contact = (controller.contact or "").strip()
        if contact.startswith(("http://", "https://")):
            if not _URL_RE.fullmatch(contact):
                self.report.problem(("controller", "contact"), f"expected an http(s) URL, got {contact!r}")
        elif "@" in contact and "\n" not in contact and not _EMAIL_RE.fullmatch(contact):
            # One line with an "@" is meant as an address; a postal address spans lines.
            self.report.problem(
                ("controller", "contact"), f"expected an e-mail address such as dpo@example.org, got {contact!r}"
            )
        if controller.url and not _URL_RE.fullmatch(controller.url):
            self.report.problem(("controller", "url"), f"expected an http(s) URL, got {controller.url!r}")

    def check_texts(self, loc: Loc, texts: Mapping[str, str] | None, languages: tuple[str, ...] | None) -> None:
        """Every listed language has a non-empty text, and no text is in an unlisted language."""
        if languages is None or texts is None:
            return
        for lang in languages:
            if lang not in texts:
                self.report.problem(
                    (*loc, lang),
                    f"missing the {lang!r} translation (every language of [charter].languages needs one)",
                    line_of=loc,
                )
            elif not texts[lang].strip():
                self.report.problem((*loc, lang), "must not be empty")
        for lang in texts:
            if lang not in languages:
                self.report.problem(
                    (*loc, lang),
                    f"{lang!r} is not in [charter].languages ({', '.join(languages)}){did_you_mean(lang, languages)}",
                )

    def load_purposes(self, raw: Any, languages: tuple[str, ...] | None) -> dict[str, Purpose]:
        """The purposes that could be read, even with problems (so cookies can be checked against them)."""
        if not isinstance(raw, dict):
            self.report.problem(("purposes",), f"expected a table of purposes ([purposes.KEY]), got {toml_type(raw)}")
            return {}
        if not raw:
            self.report.problem(("purposes",), "declare at least one purpose, such as [purposes.necessary]")
        self.purpose_keys = list(raw)
        purposes: dict[str, Purpose] = {}
        for key, value in raw.items():
            loc: Loc = ("purposes", key)
            if not PURPOSE_KEY_RE.fullmatch(key):
                self.report.problem(
                    loc,
                    "a purpose key is 1 to 32 lower-case letters, digits, '-' or '_', starting with a letter "
                    f"(it goes into the consent cookie); got {key!r}",
                )
            section = read_section(self.report, loc, PurposeSection, value)
            if section is None:
                continue
            exemption: Exemption | None = None
            if section.exemption is not None:
                try:
                    exemption = Exemption(section.exemption)
                except ValueError:
                    self.report.problem(
                        (*loc, "exemption"),
                        f"unknown exemption {section.exemption!r}{did_you_mean(section.exemption, _EXEMPTIONS)}; "
                        f"expected one of: {', '.join(_EXEMPTIONS)} (or no exemption key: the purpose needs consent)",
                    )
            if section.refused_by_gpc and section.exemption is not None:
                self.report.problem(
                    (*loc, "refused_by_gpc"),
                    "an exempt purpose is never asked about, so a Global Privacy Control signal cannot refuse it; "
                    "remove refused_by_gpc or the exemption",
                )
            for i, mode in enumerate(section.consent_mode):
                if mode not in CONSENT_MODE_TYPES:
                    self.report.problem(
                        (*loc, "consent_mode", i),
                        f"unknown Consent Mode type {mode!r}{did_you_mean(mode, CONSENT_MODE_TYPES)}; "
                        f"expected one of: {', '.join(sorted(CONSENT_MODE_TYPES))}",
                        line_of=(*loc, "consent_mode"),
                    )
            advertising = sorted(set(section.consent_mode) & _ADVERTISING_MODES)
            if advertising and section.exemption is not None:
                self.report.problem(
                    (*loc, "consent_mode"),
                    f"{', '.join(advertising)} are advertising: no exemption covers them, so this purpose "
                    "must ask for consent (remove the exemption)",
                )
            elif advertising and not section.refused_by_gpc:
                self.report.problem(
                    (*loc, "consent_mode"),
                    f"a purpose granting {', '.join(advertising)} is advertising, which a Global Privacy "
                    "Control signal refuses: add refused_by_gpc = true",
                )
            self.check_texts((*loc, "title"), section.title, languages)
            self.check_texts((*loc, "description"), section.description, languages)
            purposes[key] = Purpose(
                key=key,
                title=_texts(section.title or {}),
                description=_texts(section.description or {}),
                exemption=exemption,
                refused_by_gpc=section.refused_by_gpc,
                consent_mode=tuple(dict.fromkeys(section.consent_mode)),
                source=Source(self.report.filename, self.report.line(loc)),
            )
        return purposes

    def load_cookies(
        self, raw: Any, purposes: dict[str, Purpose], languages: tuple[str, ...] | None
    ) -> list[tuple[Cookie | None, Named]]:
        """Each cookie whose name could be read, with the cookie itself when it has no problem."""
        if not isinstance(raw, list):
            self.report.problem(("cookies",), f"expected an array of tables ([[cookies]]), got {toml_type(raw)}")
            return []
        cookies: list[tuple[Cookie | None, Named]] = []
        for index, value in enumerate(raw):
            loc: Loc = ("cookies", index)
            section = read_section(self.report, loc, CookieSection, value)
            if section is None:
                continue
            start = len(self.report.problems)
            named = self.cookie_name(loc, section)
            cookie = self.load_cookie(loc, section, purposes, languages)
            if named is not None:
                cookies.append((cookie if len(self.report.problems) == start else None, named))
        return cookies

    def load_cookie(
        self, loc: Loc, section: CookieSection, purposes: dict[str, Purpose], languages: tuple[str, ...] | None
    ) -> Cookie | None:
        purpose: Purpose | None = None
        if section.purpose is not None:
            purpose = purposes.get(section.purpose)
            # A purpose that is declared but broken has its own problem; do not repeat it here.
            declared = self.purpose_keys
            if purpose is None and declared is not None and section.purpose not in declared:
                self.report.problem(
                    (*loc, "purpose"),
                    f"unknown purpose {section.purpose!r}{did_you_mean(section.purpose, declared)}; "
                    f"declared purposes: {', '.join(declared) or 'none'}",
                )

        lifetime: Lifetime | None = None
        if section.lifetime is not None:
            try:
                lifetime = Lifetime.parse(section.lifetime)
            except LifetimeError as exc:
                self.report.problem((*loc, "lifetime"), str(exc))

        party: Party | None = None
        try:
            party = Party(section.party)
        except ValueError:
            self.report.problem(
                (*loc, "party"),
                f'expected "first" or "third", got {section.party!r}{did_you_mean(section.party, _PARTIES)}',
            )
        if party is Party.THIRD and not section.domain:
            self.report.problem(
                (*loc, "party"),
                'a third-party cookie needs `domain`: the host that sets and reads it, such as "maps.example.net"',
            )
        if party is Party.FIRST and section.domain:
            self.report.problem(
                (*loc, "domain"),
                '`domain` names the third party that sets a third-party cookie; set party = "third", '
                "or use `cookie_domain` for where a first-party cookie is scoped",
            )
        for key in ("domain", "cookie_domain"):
            host = getattr(section, key)
            if host and not _HOST_RE.fullmatch(host):
                self.report.problem(
                    (*loc, key), f'expected a host name such as "example.org" or ".example.org", got {host!r}'
                )
        host_prefixed = section.name is not None and section.name.startswith("__Host-")
        if host_prefixed and (section.cookie_domain or section.path != "/"):
            # Browsers refuse a __Host- cookie with a Domain or a Path other than "/", so a deletion
            # header built from these attributes would never reach it.
            self.report.problem(
                (*loc, "cookie_domain" if section.cookie_domain else "path"),
                'a "__Host-" cookie is set with path "/" and no domain (browsers refuse it otherwise)',
            )
        if not section.path.startswith("/") or not is_attribute_value(section.path):
            # The path goes into the deletion header as it is: a CR/LF would split the response,
            # a ";" add an attribute of the charter author's choosing.
            self.report.problem(
                (*loc, "path"),
                "a cookie path starts with '/' and holds printable ASCII only, without control characters "
                f"or ';' (RFC 6265 path-value: it is written into Set-Cookie headers), got {section.path!r}",
            )
        if section.policy_url and not _URL_RE.fullmatch(section.policy_url):
            self.report.problem((*loc, "policy_url"), f"expected an http(s) URL, got {section.policy_url!r}")
        if section.provider is not None and not section.provider.strip():
            self.report.problem((*loc, "provider"), "must not be empty: say who sets this cookie")

        self.check_texts((*loc, "service"), section.service, languages)
        self.check_texts((*loc, "description"), section.description, languages)
        if section.reason:
            self.check_texts((*loc, "reason"), section.reason, languages)

        if purpose is not None and purpose.exemption is not None:
            if not section.reason:
                first = (languages or ("en",))[0]
                self.report.problem(
                    (*loc, "reason"),
                    f"a cookie of the exempt purpose {purpose.key!r} ({purpose.exemption.value}) needs "
                    f'`reason.{first} = "..."` saying why it does without consent (CNIL asks for one)',
                )
            if purpose.exemption is Exemption.AUDIENCE_MEASUREMENT and party is Party.THIRD:
                self.report.problem(
                    (*loc, "party"),
                    "an exempt audience-measurement cookie must be first-party: a third-party cookie can "
                    "follow the visitor from site to site, which the CNIL exemption rules out",
                )
            if (
                purpose.exemption is Exemption.AUDIENCE_MEASUREMENT
                and lifetime is not None
                and lifetime.exceeds(AUDIENCE_MAX_LIFETIME)
            ):
                self.report.problem(
                    (*loc, "lifetime"),
                    f"an exempt audience-measurement cookie may live at most 13 months (CNIL), got "
                    f"{section.lifetime!r}; shorten it, or drop the exemption so the purpose asks for consent",
                )

        if lifetime is None or party is None or purpose is None or (section.name is None and section.regex is None):
            return None
        return Cookie(
            name=CookieName.from_declaration(name=section.name, regex=section.regex),
            provider=section.provider or "",
            purpose=purpose.key,
            service=_texts(section.service or {}),
            description=_texts(section.description or {}),
            lifetime=lifetime,
            party=party,
            domain=section.domain,
            reason=_texts(section.reason),
            path=section.path,
            cookie_domain=section.cookie_domain,
            policy_url=section.policy_url,
            source=Source(self.report.filename, self.report.line(loc)),
        )

    def cookie_name(self, loc: Loc, section: CookieSection) -> Named | None:
        name = self.cookie_name_declared(loc, section)
        if name is None:
            return None
        return Named.of(name, (*loc, "regex" if name.kind is MatchKind.REGEX else "name"))

    def cookie_name_declared(self, loc: Loc, section: CookieSection) -> CookieName | None:
        if section.name is None and section.regex is None:
            self.report.problem(loc, 'a cookie needs `name` (exact, or a prefix ending in "*") or `regex`')
            return None
        if section.name is not None and section.regex is not None:
            self.report.problem((*loc, "regex"), "give `name` or `regex`, not both")
            return None
        name = CookieName.from_declaration(name=section.name, regex=section.regex)
        problem = cookie_name_problem(name)
        if problem is not None:
            self.report.problem((*loc, "regex" if name.kind is MatchKind.REGEX else "name"), problem)
            return None
        return name

    def check_overlaps(self, cookies: list[tuple[Cookie | None, Named]]) -> None:
        named = [n for _, n in cookies]
        for later_i, later in enumerate(named):
            for earlier in named[:later_i]:
                if later.name == earlier.name:
                    self.report.problem(
                        later.field,
                        f"duplicate cookie `{later.name.display}`: already declared at {self.report.where(earlier.field)}",
                    )
                    break
                witness = overlap_witness(later, earlier) if later.could_overlap(earlier) else None
                if witness is not None:
                    self.report.problem(
                        later.field,
                        f"`{later.name.display}` overlaps `{earlier.name.display}` declared at "
                        f"{self.report.where(earlier.field)}: a cookie named {witness!r} matches both; each cookie "
                        "must fall under exactly one declaration",
                    )
                    break
