"""Judging what the browser saw against the charter (or, without one, the knowledge base).

Each rule has a stable id (``CC001``...) used by SARIF and by ``--baseline``; a finding's
fingerprint is its rule and subject (a cookie name, a host, a storage key), not the page, so the
same problem seen on another page next time is "unchanged", not "new".

A cookie the browser refused (a third-party cookie under Chromium's blocking, say) still counts
as an attempt: a browser that accepts third-party cookies would keep it. Such findings are one
severity lower than for a cookie really kept, and say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.charter import AUDIENCE_MAX_LIFETIME, Charter, Exemption
from ..core.lifetime import Lifetime
from .knowledge import EXEMPT_CATEGORIES, KnowledgeBase
from .model import (
    NO_CONSENT_PHASES,
    PHASES,
    SEVERITY_RANK,
    CookieSeen,
    Evidence,
    Finding,
    PhaseName,
    PhaseResult,
    Severity,
)


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    title: str
    help: str


RULES: dict[str, Rule] = {
    r.slug: r
    for r in (
        Rule("CC001", "undeclared-cookie", "Cookie not declared in the charter",
             "Every cookie a site writes must be declared in its charter, so the charter page tells the truth "
             "and the middleware lets it through."),
        Rule("CC002", "cookie-before-consent", "Cookie needing consent written without consent",
             "Nothing that needs consent may be written before consent, after a refusal, or under a Global "
             "Privacy Control signal (CNIL deliberation 2020-091, art. 82 loi Informatique et libertés)."),
        Rule("CC003", "lifetime-exceeded", "Cookie lives longer than declared",
             "The charter tells visitors how long each cookie lasts; a longer-lived cookie makes it wrong."),
        Rule("CC004", "audience-cookie-over-13-months", "Exempt audience-measurement cookie over 13 months",
             "CNIL exempts audience measurement only when its cookies last at most 13 months."),
        Rule("CC005", "third-party-before-consent", "Third-party host contacted before consent",
             "A request to a third party before consent hands it the visitor's address and lets it read or "
             "write its cookies."),
        Rule("CC006", "declared-cookie-not-seen", "Declared cookie never seen",
             "A declaration nothing matched during the scan: perhaps set only after sign-in, or obsolete."),
        Rule("CC007", "storage-before-consent", "Browser storage written without consent",
             "localStorage, sessionStorage and IndexedDB fall under the same consent rule as cookies."),
        Rule("CC008", "cookie-refused-by-browser", "Cookie refused by the browser",
             "The browser did not store a cookie the site tried to write; its reason is given."),
        Rule("CC009", "page-failed", "Page could not be audited",
             "The page failed to load within the timeout, so nothing on it was checked."),
        Rule("CC010", "refuse-all-missing", "No 'refuse all' control",
             "Every layer that offers 'accept all' must offer 'refuse all', with the same weight (CNIL, EDPB "
             "cookie banner taskforce)."),
        Rule("CC011", "banner-not-found", "No consent banner found",
             "The charter has purposes that need consent, but no banner control was found, so the refuse and "
             "accept phases could not record a decision."),
        Rule("CC012", "unknown-cookie", "Cookie unknown to the knowledge base",
             "Without a charter the scanner can only classify cookies its knowledge base knows."),
        Rule("CC013", "banner-without-need", "Banner shown though nothing needs consent",
             "A site that only sets exempt cookies should show no banner at all."),
        Rule("CC014", "decision-not-taken", "A banner's choice did not take effect",
             "A click on 'refuse all' or 'accept all' counts only once the banner goes away and the consent "
             "manager stores the choice. When it does not, the phase was not tested, and the rules that depend "
             "on it are withheld; a refusal stored as an acceptance is an error of its own."),
        Rule("CC015", "optional-despite-refusal", "Optional item present without consent",
             "Without a charter, what appears only once 'accept all' is clicked is optional (or declared "
             "optional by the site's consent manager); it must not appear after 'refuse all', under Global "
             "Privacy Control, or before any choice."),
    )
}  # fmt: skip
RULES_BY_ID = {r.id: r for r in RULES.values()}


def _human(seconds: int | None) -> str:
    if seconds is None:
        return "session"
    if seconds >= 2 * 86_400:
        return f"{round(seconds / 86_400)} days"
    if seconds >= 7_200:
        return f"{round(seconds / 3_600)} hours"
    if seconds >= 120:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds} seconds"


def _exceeds(observed: int | None, declared: Lifetime) -> bool:
    if observed is None:
        return False
    if declared.seconds is None:
        # A session cookie declared, a persistent one written.
        return observed > 0
    # Script-computed Expires dates drift by a few seconds; allow a little.
    return observed > declared.seconds + max(120, declared.seconds // 200)


_PHASE_WORDS = {
    "arrival": "on arrival, before any choice",
    "refuse": "after 'refuse all'",
    "accept": "after 'accept all'",
    "gpc": "with Global Privacy Control on",
}


def _where(phase: PhaseName, cookie: CookieSeen) -> Evidence:
    by = cookie.set_by
    how = {"header": f"Set-Cookie header of {by.url}", "script": f"script {by.url}", "unknown": "an unobserved write"}[
        by.kind
    ]
    detail = f"{_PHASE_WORDS.get(phase, phase)}; written by {how}"
    if not cookie.kept:
        detail += f"; refused by this browser ({', '.join(cookie.refused_reasons)})"
    return Evidence(phase=phase, page=cookie.pages[0] if cookie.pages else None, set_by=by, detail=detail)


#: In a finding's message, where the phases it happened in go ("on arrival, before any choice and
#: after 'refuse all'"): a finding seen in several phases names them all in its headline.
WHERE = "{where}"


def _phases_in_words(names: Iterable[str]) -> str:
    seen = set(names)
    words = [_PHASE_WORDS[p] for p in PHASES if p in seen]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


class _Findings:
    def __init__(self) -> None:
        self.items: dict[str, Finding] = {}

    def add(
        self, slug: str, severity: Severity, subject: str, message: str, fix: str, evidence: Iterable[Evidence]
    ) -> None:
        rule = RULES[slug]
        key = f"{rule.id}:{subject}"
        found = self.items.get(key)
        ev = list(evidence)
        if found is None:
            self.items[key] = Finding(
                rule=rule.id, slug=slug, severity=severity, subject=subject, message=message, fix=fix,
                evidence=ev, fingerprint=key,
            )  # fmt: skip
        else:
            found.evidence.extend(e for e in ev if e not in found.evidence)
            if SEVERITY_RANK[severity] > SEVERITY_RANK[found.severity]:
                found.severity = severity
                found.message = message

    def sorted(self) -> list[Finding]:
        for f in self.items.values():
            if WHERE in f.message:
                f.message = f.message.replace(WHERE, _phases_in_words(e.phase for e in f.evidence if e.phase))
        return sorted(self.items.values(), key=lambda f: (-SEVERITY_RANK[f.severity], f.rule, f.subject))


def _lower(severity: Severity) -> Severity:
    return {"error": "warning", "warning": "info", "info": "info"}[severity]  # type: ignore[return-value]


def audit(phases: list[PhaseResult], charter: Charter | None, kb: KnowledgeBase) -> list[Finding]:
    """Annotate every cookie seen (declaration, classification) and return the findings."""
    out = _Findings()
    for phase in phases:
        for cookie in phase.cookies:
            cookie.classification = kb.classify(cookie.name, cookie.domain)
            if cookie.classification is not None:
                cookie.classification.by_name_only = not _written_by_vendor(cookie, cookie.classification.vendor, kb)
            if charter is not None:
                declared = charter.match(cookie.name)
                if declared is not None:
                    cookie.declared_as = declared.name.display
                    cookie.purpose = declared.purpose
    untested = untested_phases(phases)
    judged = NO_CONSENT_PHASES - untested
    if charter is not None:
        _charter_rules(phases, charter, kb, out, judged, untested)
    else:
        _knowledge_rules(phases, kb, out, judged)
        _compare_phases(phases, kb, out, untested)
    _decision_rules(phases, out)
    _common_rules(phases, charter, kb, out, judged)
    return out.sorted()


class _NoHost:
    category = ""


_NO_HOST = _NoHost()


def _written_by_vendor(cookie: CookieSeen, vendor: str, kb: KnowledgeBase) -> bool:
    """Whether the script or response that wrote the cookie (or, for a third-party cookie, its
    domain) is a host the knowledge base ties to the vendor its name suggests: `_ga` written by
    the site's own script is named like Google Analytics's, not proven to be it."""
    from urllib.parse import urlsplit

    hosts = [urlsplit(cookie.set_by.url).hostname or ""] if cookie.set_by.url else []
    if cookie.party == "third":
        hosts.append(cookie.domain)
    family = vendor.split(" (")[0].split(" ")[0].lower()  # "Google Analytics 4" -> "google"
    for host in hosts:
        known = kb.host(host)
        if known is not None and (known.vendor == vendor or known.vendor.lower().startswith(family)):
            return True
    return False


def untested_phases(phases: list[PhaseResult]) -> frozenset[str]:
    """The decision phases whose choice was not seen to take effect: what their pages show is
    not what follows that choice, so no rule about "after refuse all" (or about what acceptance
    brings) may be judged on them."""
    return frozenset(p.name for p in phases if p.name in ("refuse", "accept") and not p.decision_verified)


def _decision_rules(phases: list[PhaseResult], out: _Findings) -> None:
    for phase in phases:
        if phase.name not in ("refuse", "accept") or not phase.decision_made or phase.decision_verified:
            continue
        label = "'refuse all'" if phase.name == "refuse" else "'accept all'"
        wanted = "refusal" if phase.name == "refuse" else "acceptance"
        contrary = [r for r in phase.consent_records if r.choice and r.choice != wanted]
        check = phase.decision_check or "no effect was seen"
        if contrary:
            out.add(
                "decision-not-taken", "error", phase.consent_given or phase.name,
                f"{label} was clicked, and the consent manager stored {'an acceptance' if wanted == 'refusal' else 'a refusal'}: {check}.",
                f"Make the {label} control store the {wanted} it offers; check the consent manager's configuration "
                "(the categories each button sets).",
                [Evidence(phase=phase.name, page=phase.pages[0].url if phase.pages else None, detail=check)],
            )  # fmt: skip
            continue
        out.add(
            "decision-not-taken", "warning", phase.consent_given or phase.name,
            f"{label} did not take effect, so this phase was not tested and the rules that depend on it are "
            f"withheld: {check}.",
            f"Check by hand that {label} closes the banner and that the choice is remembered on the next page; "
            "if it is, raise the scanner's wait or report the banner to the cookiecharter developers.",
            [Evidence(phase=phase.name, page=phase.pages[0].url if phase.pages else None, detail=check)],
        )  # fmt: skip


def _charter_rules(
    phases: list[PhaseResult],
    charter: Charter,
    kb: KnowledgeBase,
    out: _Findings,
    judged: frozenset[str],
    untested: frozenset[str],
) -> None:
    for phase in phases:
        for cookie in phase.cookies:
            declared = charter.match(cookie.name)
            if declared is None:
                known = cookie.classification
                hint = (
                    f"{'Its name is that of' if known.by_name_only else 'It is'} {known.vendor}'s cookie, usually "
                    f"{known.category}, about {known.typical_lifetime}. "
                    if known
                    else ""
                )
                out.add(
                    "undeclared-cookie",
                    "error" if cookie.kept else "warning",
                    cookie.name,
                    f"Cookie `{cookie.name}` ({cookie.domain}, {cookie.party} party) is not declared in the charter.",
                    hint + "Declare it under the right purpose (`--suggest` drafts the entry), or stop writing it.",
                    [_where(phase.name, cookie)],
                )
                continue
            purpose = charter.purpose(declared.purpose)
            if purpose.needs_consent and phase.name in judged:
                gpc_note = (
                    " Global Privacy Control refuses this purpose."
                    if phase.name == "gpc" and purpose.refused_by_gpc
                    else ""
                )
                severity: Severity = "error" if cookie.kept else "warning"
                out.add(
                    "cookie-before-consent",
                    severity,
                    cookie.name,
                    f"Cookie `{cookie.name}` (purpose `{purpose.key}`, which needs consent) was written "
                    f"{WHERE}.{gpc_note}",
                    "Write it only once its purpose is granted: load the script, tag or frame that sets it only after "
                    "the visitor's consent (through the consent manager's script blocking or the tag manager's consent "
                    "settings), and never after a refusal.",
                    [_where(phase.name, cookie)],
                )
            if _exceeds(cookie.lifetime_seconds, declared.lifetime):
                out.add(
                    "lifetime-exceeded",
                    "error",
                    cookie.name,
                    f"Cookie `{cookie.name}` lives {_human(cookie.lifetime_seconds)}; the charter declares "
                    f"{declared.lifetime}.",
                    "Shorten the cookie's Max-Age/Expires to the declared lifetime, or correct the charter "
                    "(the middleware can cap lifetimes).",
                    [_where(phase.name, cookie)],
                )
            if (
                purpose.exemption is Exemption.AUDIENCE_MEASUREMENT
                and cookie.lifetime_seconds is not None
                and AUDIENCE_MAX_LIFETIME.seconds is not None
                and cookie.lifetime_seconds > AUDIENCE_MAX_LIFETIME.seconds + 120
            ):
                out.add(
                    "audience-cookie-over-13-months",
                    "error",
                    cookie.name,
                    f"Cookie `{cookie.name}` is exempt as audience measurement but lives "
                    f"{_human(cookie.lifetime_seconds)}, over CNIL's 13 months.",
                    "Cap its lifetime at 13 months (and do not extend it on later visits), or ask for consent.",
                    [_where(phase.name, cookie)],
                )
    # Declarations nothing matched: only when acceptance was really tested, since most optional
    # cookies appear only then.
    seen_names = {c.name for p in phases for c in p.cookies}
    for declared in charter.cookies if "accept" not in untested else ():
        if not any(declared.name.matches(n) for n in seen_names):
            out.add(
                "declared-cookie-not-seen",
                "info",
                declared.name.display,
                f"Declared cookie `{declared.name.display}` (purpose `{declared.purpose}`) was not seen in any phase.",
                "Nothing to do if it is set only after sign-in or on pages not audited; otherwise remove the "
                "obsolete declaration.",
                [],
            )
    # Storage written before consent.
    for phase in phases:
        if phase.name not in judged:
            continue
        for item in phase.storage:
            declared = charter.match(item.key)
            if declared is not None and not charter.purpose(declared.purpose).needs_consent:
                continue
            severity = "error" if declared is not None else "warning"
            what = f"declared under `{declared.purpose}`, which needs consent" if declared else "not declared"
            out.add(
                "storage-before-consent",
                severity,
                f"{item.kind}:{item.key}",
                f"{item.kind} key `{item.key}` ({item.origin}, {what}) was written {WHERE}.",
                "Write it only after consent, or declare it under an exempt purpose if it is strictly necessary.",
                [Evidence(phase=phase.name, page=item.page, detail=f"origin {item.origin}")],
            )


def _knowledge_rules(phases: list[PhaseResult], kb: KnowledgeBase, out: _Findings, judged: frozenset[str]) -> None:
    for phase in phases:
        for cookie in phase.cookies:
            known = cookie.classification
            if known is None:
                out.add(
                    "unknown-cookie",
                    "info",
                    cookie.name,
                    f"Cookie `{cookie.name}` ({cookie.domain}) is not in the knowledge base: its purpose is unknown.",
                    "Find out what writes it and declare it in a charter (`--suggest` drafts an entry to complete).",
                    [_where(phase.name, cookie)],
                )
            elif known.category not in EXEMPT_CATEGORIES and phase.name in judged:
                out.add(
                    "cookie-before-consent",
                    "warning" if cookie.kept else "info",
                    cookie.name,
                    f"Cookie `{cookie.name}` (named like {known.vendor}'s, usually {known.category}) was written "
                    f"{WHERE}. Classified by its name: check with --charter.",
                    "Load what writes it only after the visitor's consent, and never after a refusal.",
                    [_where(phase.name, cookie)],
                )
        if phase.name in judged:
            for item in phase.storage:
                out.add(
                    "storage-before-consent",
                    "info",
                    f"{item.kind}:{item.key}",
                    f"{item.kind} key `{item.key}` ({item.origin}) was written {WHERE}.",
                    "If it is not strictly necessary, write it only after consent.",
                    [Evidence(phase=phase.name, page=item.page, detail=f"origin {item.origin}")],
                )


def _phase_items(phase: PhaseResult) -> dict[tuple[str, str], Evidence]:
    """What a phase left, keyed by (kind, subject) as findings name them, with evidence."""
    found: dict[tuple[str, str], Evidence] = {}
    for c in phase.cookies:
        found.setdefault(("cookie", c.name), _where(phase.name, c))
    for item in phase.storage:
        found.setdefault(
            ("storage", f"{item.kind}:{item.key}"),
            Evidence(phase=phase.name, page=item.page, detail=f"origin {item.origin}"),
        )
    for req in phase.third_party_requests:
        found.setdefault(
            ("host", req.host), Evidence(phase=phase.name, page=req.page, detail=f"first request: {req.first_url}")
        )
    return found


_ITEM_WORDS = {"cookie": "Cookie", "storage": "Storage key", "host": "Third-party host"}


def _name_matches(pattern: str, name: str) -> bool:
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            return re.search(pattern[1:-1], name) is not None
        except re.error:
            return False
    return pattern == name


def _compare_phases(phases: list[PhaseResult], kb: KnowledgeBase, out: _Findings, untested: frozenset[str]) -> None:
    """Without a charter, the phases are compared: what appears only once 'accept all' took
    effect (absent on arrival) is optional, so it must not appear after 'refuse all' or under
    Global Privacy Control either. The consent manager's own record, and names the knowledge base
    files as necessary, security, consent or preferences, are left out."""
    by_name = {p.name: p for p in phases}
    arrival, accept = by_name.get("arrival"), by_name.get("accept")
    # What the consent manager itself declares optional, wherever it turns up without consent.
    declared = [d for p in phases for d in p.manager_declared]
    for phase in phases:
        if phase.name not in NO_CONSENT_PHASES - untested:
            continue
        for c in phase.cookies:
            entry = next((d for d in declared if _name_matches(d.name, c.name)), None)
            if entry is not None:
                out.add(
                    "optional-despite-refusal", "warning", c.name,
                    f"Cookie `{c.name}` is declared optional by the site's own consent manager ({entry.manager}: "
                    f"purpose `{entry.purpose}`), yet it appeared {WHERE}.",
                    "Let the consent manager load what writes it (its script blocking), so it runs only after the "
                    "visitor's consent and never after a refusal.",
                    [_where(phase.name, c)],
                )  # fmt: skip
    if arrival is None or accept is None or "accept" in untested:
        return
    records = {r.name for p in phases for r in p.consent_records}
    before = _phase_items(arrival)

    def exempt(kind: str, subject: str) -> bool:
        name = subject.split(":", 1)[1] if kind == "storage" else subject
        if name in records:
            return True
        category = kb.category_of(name) if kind != "host" else (kb.host(subject.split(":")[0]) or _NO_HOST).category
        return category in EXEMPT_CATEGORIES

    optional = {key for key in _phase_items(accept) if key not in before and not exempt(*key)}
    for name in ("refuse", "gpc"):
        seen = by_name.get(name)
        if seen is None or name in untested:
            continue
        for (kind, subject), evidence in _phase_items(seen).items():
            if (kind, subject) in optional:
                shown = subject.split(":", 1)[1] if kind == "storage" else subject
                out.add(
                    "optional-despite-refusal", "warning", subject,
                    f"{_ITEM_WORDS[kind]} `{shown}` is optional (it appears only once 'accept all' is clicked), "
                    f"yet it appeared {WHERE}.",
                    "Whatever writes it must wait for the visitor's consent and stay off after a refusal or a Global "
                    "Privacy Control signal: put it behind the consent manager (its script blocking, or the tag "
                    "manager's consent settings).",
                    [evidence],
                )  # fmt: skip


def _common_rules(
    phases: list[PhaseResult], charter: Charter | None, kb: KnowledgeBase, out: _Findings, judged: frozenset[str]
) -> None:
    by_name = {p.name: p for p in phases}
    consent_third_party_domains = set()
    if charter is not None:
        for c in charter.cookies:
            if c.domain and charter.purpose(c.purpose).needs_consent:
                consent_third_party_domains.add(c.domain.lower().lstrip("."))
    for phase in phases:
        if phase.name in judged:
            for req in phase.third_party_requests:
                hostname = req.host.split(":")[0]
                known = kb.host(hostname)
                tracker = known is not None and known.category in ("advertising", "statistics")
                declared_consent = any(hostname == d or hostname.endswith("." + d) for d in consent_third_party_domains)
                severity: Severity = "error" if tracker or declared_consent else "warning"
                who = f" ({known.vendor}, {known.category})" if known else ""
                out.add(
                    "third-party-before-consent",
                    severity,
                    req.host,
                    f"Third-party host `{req.host}`{who} was contacted {WHERE}.",
                    "Load this content only after consent (a placeholder until then), or serve it from the site itself.",
                    [
                        Evidence(
                            phase=phase.name,
                            page=req.page,
                            detail=f"{req.count} request(s) ({', '.join(req.resource_types)}); first: {req.first_url}",
                        )
                    ],
                )
        for cookie in phase.cookies:
            if not cookie.kept:
                why, fix = _refusal_reason(cookie)
                out.add(
                    "cookie-refused-by-browser",
                    "info",
                    cookie.name,
                    f"The browser refused cookie `{cookie.name}` ({cookie.domain}): {why}",
                    fix,
                    [_where(phase.name, cookie)],
                )
        for visit in phase.pages:
            if visit.error:
                out.add(
                    "page-failed",
                    "warning",
                    visit.url,
                    f"{visit.url} could not be audited in the {phase.name} phase: {visit.error}.",
                    "Check that the page loads; raise --timeout for slow pages.",
                    [Evidence(phase=phase.name, page=visit.url, detail=visit.error)],
                )
    arrival, refuse = by_name.get("arrival"), by_name.get("refuse")
    offered = {b.action for p in phases for b in p.buttons if b.found}
    banner_seen = bool(offered & {"accept-all", "refuse-all", "customise"})
    hidden = next((p.hidden_banner for p in phases if p.hidden_banner), None)
    if charter is not None:
        needs_consent = charter.needs_consent
    else:
        optional_seen = any(
            c.classification is not None and c.classification.category in ("statistics", "advertising")
            for p in phases for c in p.cookies
        ) or any(
            (kb.host(r.host.split(":")[0]) or _NO_HOST).category in ("statistics", "advertising")
            for p in phases for r in p.third_party_requests
        )  # fmt: skip
        needs_consent = banner_seen or bool(hidden) or optional_seen
    if needs_consent and not banner_seen:
        if hidden:
            message = (
                "Banner not found: the site may hide it from automated browsers. A consent banner is in the page "
                f"(`{hidden}`) but was never shown to the scanner, so no choice could be made and the refuse and "
                "accept phases were not tested."
            )
        else:
            message = (
                "Banner not found on the start page, so no choice could be made: the refuse and accept phases were "
                "not tested. If a person sees a banner there, the site may hide it from automated browsers."
            )
        out.add(
            "banner-not-found",
            "warning",
            "banner",
            message,
            "Show the consent banner to every visitor, automated browsers included (audits and regulators use "
            "them), with 'accept all' and 'refuse all' buttons, without waiting for a scroll or a click elsewhere.",
            [
                Evidence(
                    phase="arrival",
                    page=arrival.pages[0].url if arrival and arrival.pages else None,
                    detail=hidden or "",
                )
            ],
        )
    elif banner_seen and "accept-all" in offered and refuse is not None:
        first_layer = next((b for b in refuse.buttons if b.action == "refuse-all"), None)
        if first_layer is None or not (first_layer.found and first_layer.clicked and refuse.buttons[0] is first_layer):
            how = "was found only behind 'customise'" if refuse.decision_made else "was not found"
            out.add(
                "refuse-all-missing",
                "warning",
                "refuse-all",
                f"The banner offers 'accept all' but 'refuse all' {how}.",
                "Put a 'refuse all' button next to 'accept all', with the same size and weight.",
                [Evidence(phase="refuse", page=refuse.pages[0].url if refuse.pages else None)],
            )
    if charter is not None and not charter.needs_consent and banner_seen:
        out.add(
            "banner-without-need",
            "info",
            "banner",
            "A consent banner was found though every purpose of the charter is exempt from consent.",
            "Remove the banner: it asks a question that has no effect.",
            [Evidence(phase="arrival")],
        )


#: Chromium's reasons for refusing a cookie because of its third-party cookie policy, not because
#: of anything wrong with the cookie.
_POLICY_REASONS = {"UserPreferences", "ThirdPartyPhaseout", "ThirdPartyBlockedInFirstPartySet", "ThirdPartyBlocked"}


def _refusal_reason(cookie: CookieSeen) -> tuple[str, str]:
    reasons = set(cookie.refused_reasons)
    codes = ", ".join(cookie.refused_reasons)
    if reasons & _POLICY_REASONS:
        return (
            f"this browser blocks third-party cookies ({codes}); a browser that allows them would keep it.",
            "Nothing is wrong with the cookie itself. Judge it as if it were kept: a visitor whose browser accepts "
            "third-party cookies gets it, so it needs the same consent as any other.",
        )
    if any(r.startswith("SameSite") for r in reasons):
        return (
            f"its SameSite attribute does not allow it here ({codes}).",
            "A cookie read inside a frame of another site must be `SameSite=None; Secure`; otherwise drop it.",
        )
    if reasons & {
        "SecureOnly",
        "SchemefulSameSiteStrict",
        "SchemefulSameSiteLax",
        "SchemefulSameSiteUnspecifiedTreatedAsLax",
    }:
        return (
            f"it needs a secure (https) page ({codes}).",
            "Serve the page over https, or drop the Secure attribute.",
        )
    return (
        f"{codes}.",
        "Check the cookie's attributes (Domain, Path, SameSite, Secure) against the page that writes it.",
    )


def ordered_phases(phases: list[PhaseResult]) -> list[PhaseResult]:
    order = {name: i for i, name in enumerate(PHASES)}
    return sorted(phases, key=lambda p: order[p.name])
