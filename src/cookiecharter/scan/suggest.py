"""``--suggest``: charter entries (TOML, our charter format) for the cookies a scan found undeclared.

The drafts are a start, not an answer: the knowledge base gives each known cookie's vendor, usual
purpose and description, the scan gives its observed lifetime and party, and every line a person
must check is marked ``# TODO``. Appended to the charter, they load (``cookiecharter validate``).
"""

from __future__ import annotations

import json
import math

from ..core.charter import Charter
from ..core.lifetime import Lifetime
from .knowledge import KnowledgeBase
from .model import CookieSeen, Report

#: Knowledge-base category -> (purpose key, exemption or None, refused_by_gpc).
PURPOSE_FOR_CATEGORY: dict[str, tuple[str, str | None, bool]] = {
    "necessary": ("necessary", "strictly-necessary", False),
    "security": ("security", "security", False),
    "consent": ("consent", "consent-storage", False),
    "preferences": ("preferences", "requested-preference", False),
    "statistics": ("statistics", None, False),
    "advertising": ("advertising", None, True),
    "functional": ("functional", None, False),
    "unknown": ("unclassified", None, False),
}

_TITLES = {
    "necessary": {"fr": "Cookies nécessaires", "en": "Strictly necessary cookies"},
    "security": {"fr": "Sécurité", "en": "Security"},
    "consent": {"fr": "Mémoire de vos choix", "en": "Your cookie choices"},
    "preferences": {"fr": "Préférences demandées", "en": "Preferences you asked for"},
    "statistics": {"fr": "Mesure d'audience", "en": "Audience measurement"},
    "advertising": {"fr": "Publicité", "en": "Advertising"},
    "functional": {
        "fr": "Services tiers (contenus intégrés, assistance)",
        "en": "Third-party services (embeds, support)",
    },
    "unclassified": {"fr": "À classer", "en": "To be classified"},
}
_DESCRIPTIONS = {
    "necessary": {"fr": "Ces cookies font fonctionner le site ; ils ne requièrent pas votre consentement.",
                  "en": "These cookies make the site work; they do not require your consent."},
    "security": {"fr": "Protéger le site et ses formulaires contre les abus.", "en": "Protect the site and its forms against abuse."},
    "consent": {"fr": "Se souvenir de vos choix concernant les cookies.", "en": "Remember your choices about cookies."},
    "preferences": {"fr": "Se souvenir des réglages que vous avez choisis.", "en": "Remember the settings you chose."},
    "statistics": {"fr": "Compter les visites pour améliorer le site.", "en": "Count visits to improve the site."},
    "advertising": {"fr": "Mesurer et personnaliser la publicité.", "en": "Measure and personalise advertising."},
    "functional": {"fr": "Services fournis par des tiers, qui peuvent déposer leurs propres cookies.",
                   "en": "Services provided by third parties, which may set their own cookies."},
    "unclassified": {"fr": "Cookies dont la finalité reste à établir.", "en": "Cookies whose purpose is yet to be established."},
}  # fmt: skip
_REASONS = {
    "strictly-necessary": "Strictly necessary for the service the visitor asked for.",
    "security": "Security: protects the site and its visitors against abuse.",
    "consent-storage": "Keeping the visitor's choice is exempt from consent.",
    "requested-preference": "Interface personalisation the visitor asked for.",
}


def _q(text: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML for these characters)."""
    return json.dumps(text, ensure_ascii=False)


def readable_lifetime(seconds: int | None) -> str:
    """An observed lifetime rounded up to a unit a person writes ("400 days" -> "14 months")."""
    if seconds is None:
        return "session"
    if seconds <= 0:
        return "1 minute"
    day = 86_400
    if seconds < 3_600:
        return str(Lifetime.parse(f"{math.ceil(seconds / 60)} minutes"))
    if seconds < day:
        return str(Lifetime.parse(f"{math.ceil(seconds / 3_600)} hours"))
    days = math.ceil(seconds / day - 0.01)  # a few seconds under a day still reads as that day
    if days >= 60:
        months = math.ceil(seconds / 2_629_800 - 0.01)
        return str(Lifetime.parse(f"{months // 12} years" if months % 12 == 0 else f"{months} months"))
    if days % 7 == 0:
        return str(Lifetime.parse(f"{days // 7} weeks"))
    return str(Lifetime.parse(f"{days} days"))


def suggest(report: Report, charter: Charter | None, kb: KnowledgeBase, heading: str | None = None) -> str:
    """TOML to append to the charter (or, without one, to start it). ``heading`` replaces the
    comment lines that say where the drafts come from and what to do with them."""
    languages = list(charter.languages) if charter is not None else ["fr", "en"]
    undeclared: dict[str, CookieSeen] = {}
    for phase in report.phases:
        for cookie in phase.cookies:
            if charter is not None and charter.match(cookie.name) is not None:
                continue
            known = kb.lookup(cookie.name, cookie.domain)
            key = known.pattern if known is not None and known.kind != "exact" else cookie.name
            # Keep the longest lifetime seen for one name (the accept phase often has the real one).
            previous = undeclared.get(key)
            if previous is None or (cookie.lifetime_seconds or 0) > (previous.lifetime_seconds or 0):
                undeclared[key] = cookie
    if heading is None:
        heading = (
            f"Drafted by `cookiecharter scan --suggest` from a scan of {report.url}\n"
            f"(knowledge base {report.knowledge_base_version}). Check every entry, then append it to the charter."
        )
    lines = [*(f"# {line}" for line in heading.splitlines()), ""]
    if not undeclared:
        lines.append("# Every cookie seen is declared: nothing to suggest.")
        return "\n".join(lines) + "\n"
    if charter is None:
        # No charter yet: start one, so the draft loads on its own.
        lines += [
            "[charter]",
            f"languages = [{', '.join(_q(lang) for lang in languages)}]",
            "",
            "[controller]",
            f"name = {_q('TODO: who is responsible for the site')}",
            f"contact = {_q('TODO: an address for data-protection questions')}",
            "",
        ]
    needed: dict[str, str] = {}
    blocks: list[str] = []
    for key, cookie in sorted(undeclared.items()):
        known = kb.lookup(cookie.name, cookie.domain)
        category = known.category if known is not None else "unknown"
        purpose_key, exemption, _ = PURPOSE_FOR_CATEGORY[category]
        if charter is not None and charter.has_purpose(purpose_key):
            declared = charter.purpose(purpose_key).exemption
            exemption = declared.value if declared is not None else None
        else:
            needed[purpose_key] = category if category != "unknown" else "unclassified"
        block = ["[[cookies]]"]
        if known is not None and known.kind == "regex":
            block.append(f"regex = {_q(known.pattern[1:-1])}")
        else:
            block.append(f"name = {_q(key)}")
        block.append(
            f"provider = {_q(known.vendor if known else cookie.domain)}" + ("" if known else "  # TODO: who sets it?")
        )
        block.append(f"purpose = {_q(purpose_key)}" + ("" if known else "  # TODO: not in the knowledge base"))
        about = known.about if known else "TODO: what this cookie does."
        for lang in languages:
            block.append(f"service.{lang} = {_q(known.vendor if known else 'TODO')}")
        for lang in languages:
            block.append(
                f"description.{lang} = {_q(about)}" + ("  # TODO: translate" if lang != "en" and known else "")
            )
        observed = readable_lifetime(cookie.lifetime_seconds)
        block.append(f"lifetime = {_q(observed)}  # observed" + (f"; usually {known.lifetime}" if known else ""))
        if cookie.party == "third":
            block.append('party = "third"')
            block.append(f"domain = {_q(cookie.domain)}")
        if exemption is not None:
            for lang in languages:
                block.append(
                    f"reason.{lang} = {_q(_REASONS.get(exemption, 'TODO: why it is strictly necessary.'))}  # TODO: check"
                )
        blocks.append("\n".join(block))
    for purpose_key, category in needed.items():
        _, exemption, gpc = PURPOSE_FOR_CATEGORY.get(category, PURPOSE_FOR_CATEGORY["unknown"])
        block = [f"[purposes.{purpose_key}]"]
        if exemption:
            block.append(f"exemption = {_q(exemption)}")
        for lang in languages:
            block.append(f"title.{lang} = {_q(_TITLES[purpose_key].get(lang, _TITLES[purpose_key]['en']))}")
        for lang in languages:
            block.append(
                f"description.{lang} = {_q(_DESCRIPTIONS[purpose_key].get(lang, _DESCRIPTIONS[purpose_key]['en']))}"
            )
        if gpc:
            block.append("refused_by_gpc = true")
            block.append('consent_mode = ["ad_storage", "ad_user_data", "ad_personalization"]')
        if purpose_key == "statistics":
            block.append('consent_mode = ["analytics_storage"]')
        lines.append("\n".join(block))
        lines.append("")
    lines.extend(b + "\n" for b in blocks)
    return "\n".join(lines)
