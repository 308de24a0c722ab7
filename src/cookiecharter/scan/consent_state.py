"""What a click on a banner changed: the consent record a consent manager keeps, read back.

A click is not a choice until the site has taken it: the banner goes away and the manager writes
its record (a cookie such as ``cc_cookie``, ``tarteaucitron`` or ``OptanonConsent``, or a storage
key such as ``uc_settings``). The scanner takes a snapshot of every cookie of the context and
every localStorage and sessionStorage entry of every frame before the click, another after, and
reads what changed here:

* ``changes`` lists the entries written or changed by the click;
* ``records`` picks the consent manager's record among them (a name the knowledge base files
  under "consent", or a name that says so), falling back to any first-party entry that is not a
  known tracker's when the manager is unknown;
* ``read_choice`` tells, where the value says it, whether the record holds a refusal or an
  acceptance. Formats differ by manager, so it reads what they share: flags set to
  true/false (Klaro, OneTrust's ``groups=C0002:0``, Cookiebot's ``statistics:false``,
  tarteaucitron's ``!gtag=false``), lists of granted categories (vanilla-cookieconsent,
  Didomi's enabled/disabled purposes, cookiecharter's own ``ID.TIME.VERSION.PURPOSES.SIG``), and
  single words (``deny``, ``allow``). A value it cannot read is "unknown", never a guess.

Nothing here drives the browser except ``snapshot``; the rest is plain functions over values,
tested without one.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

log = logging.getLogger("cookiecharter.scan")

Choice = Literal["refusal", "acceptance"]

#: Keys one frame's storage is read under; values are cut, the scanner only compares and reads them.
STORAGE_VALUES_SCRIPT = """
() => {
  const read = (store) => {
    const out = {};
    try { for (let i = 0; i < store.length; i++) { const k = store.key(i); out[k] = String(store.getItem(k)).slice(0, 4000); } } catch (e) {}
    return out;
  };
  let local = {}, session = {};
  try { local = read(localStorage); } catch (e) {}
  try { session = read(sessionStorage); } catch (e) {}
  return {origin: location.origin, local, session};
}
"""


@dataclass(frozen=True)
class Entry:
    kind: Literal["cookie", "localStorage", "sessionStorage"]
    where: str  # the cookie's domain, or the storage's origin
    name: str
    value: str

    def describe(self) -> str:
        what = "cookie" if self.kind == "cookie" else self.kind
        return f"{what} `{self.name}` ({self.where})"


Snapshot = dict[tuple[str, str, str], str]


async def snapshot(page: Any, context: Any) -> Snapshot:
    """Every cookie of the context and every storage entry of every frame of ``page`` now. A
    frame that cannot answer (navigating, detached) is left out: the next snapshot has it."""
    from playwright.async_api import Error as PlaywrightError

    found: Snapshot = {}
    for c in await context.cookies():
        found[("cookie", c.get("domain", "").lstrip("."), c["name"])] = str(c.get("value", ""))
    for frame in list(page.frames):
        try:
            data = await frame.evaluate(STORAGE_VALUES_SCRIPT)
        except PlaywrightError:  # a frame mid-navigation is not there yet: the next snapshot has it
            log.debug("cookiecharter: frame %s did not answer the storage snapshot", frame.url, exc_info=True)
            continue
        if not isinstance(data, dict) or not data.get("origin") or data["origin"] == "null":
            continue
        for kind, key in (("localStorage", "local"), ("sessionStorage", "session")):
            for name, value in (data.get(key) or {}).items():
                found[(kind, data["origin"], str(name))] = str(value)
    return found


def changes(before: Snapshot, after: Snapshot) -> list[Entry]:
    """Entries new or changed in ``after`` (a deletion is no record of a choice)."""
    return [
        Entry(kind, where, name, value)  # type: ignore[arg-type]
        for (kind, where, name), value in after.items()
        if before.get((kind, where, name)) != value
    ]


#: Names that say they hold a consent choice, whoever wrote them.
_CONSENT_WORDS = re.compile(
    r"consent|cookie_?pref|cookies?_?choice|gdpr|privacy|cmp|cookielaw|optanon|tarteaucitron|klaro|"
    r"cc_cookie|didomi|axeptio|cookiebot|usercentrics|^uc_|cookieyes|cmplz|borlabs|_iub_|euconsent|"
    r"cookie_?notice|cookie_?banner|cookie_?accept|cookies_?accepted|cookie-agreed",
    re.IGNORECASE,
)


def records(
    found: Iterable[Entry], is_consent_cookie: Callable[[str], bool], is_tracker: Callable[[str], bool]
) -> list[Entry]:
    """The consent manager's record among the entries a click changed.

    ``is_consent_cookie(name)``: the knowledge base files the name under "consent";
    ``is_tracker(name)``: it files it under statistics or advertising (after "accept all",
    trackers write too, and are no record of the choice)."""
    found = list(found)
    named = [e for e in found if is_consent_cookie(e.name) or _CONSENT_WORDS.search(e.name)]
    if named:
        return named
    return [e for e in found if not is_tracker(e.name)]


_TRUE = {"true", "1", "yes", "granted", "allow", "allowed", "accept", "accepted", "all", "on"}
_FALSE = {
    "false",
    "0",
    "no",
    "denied",
    "deny",
    "reject",
    "rejected",
    "refuse",
    "refused",
    "declined",
    "off",
    "necessary",
    "essential",
}
#: Flags that say something else than a purpose's consent (banner state, GPC, versions).
_NOT_A_PURPOSE = re.compile(
    r"^(?:is|has|awaiting|interaction|datestamp|stamp|ver|version|revision|utc|region|iab|gpc|method|"
    r"timestamp|expires?|date|id|uuid|landing|implicit|explicit|close|closed|shown|dismissed)",
    re.IGNORECASE,
)
#: Purposes that are never optional: their being granted says nothing about the choice.
_NECESSARY = re.compile(
    r"^(?:necessary|essential|required|mandatory|strictly[-_ ]?necessary|technical|technically[-_ ]?(?:required|necessary)|"
    r"functional_required|c0001|security)$",
    re.IGNORECASE,
)
#: A plain list of category names (Porsche's cookie-consent-banner: "technically_required,analytics").
_CATEGORY_LIST = re.compile(r"[A-Za-z][\w-]*(?:\s*[,|]\s*[A-Za-z][\w-]*)*")

_FLAG = re.compile(
    r"""["']?([A-Za-z_][\w.\-]*)["']?\s*[:=]\s*["']?(true|false|granted|denied|yes|no|1|0)\b(?!\.\d)""",
    re.IGNORECASE,
)
_TARTEAUCITRON = re.compile(r"!([\w.\-]+)=(true|false|wait)")


def _decoded(value: str) -> str:
    text = value
    for _ in range(2):  # some managers encode twice (a JSON value URL-encoded into a cookie)
        if "%" not in text:
            break
        text = unquote(text)
    return text.strip().strip('"')


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    if re.fullmatch(r"[A-Za-z0-9+/=_-]{16,}", text):  # Didomi's token: base64 JSON
        try:
            return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except ValueError:
            return None
    return None


def _from_flags(flags: Iterable[tuple[str, bool]]) -> Choice | None:
    optional = [on for key, on in flags if not _NECESSARY.match(key) and not _NOT_A_PURPOSE.match(key)]
    if not optional:
        return None
    if not any(optional):
        return "refusal"
    if all(optional):
        return "acceptance"
    return None  # a custom choice: neither


def _from_categories(categories: list[Any]) -> Choice:
    optional = [c for c in categories if isinstance(c, str) and not _NECESSARY.match(c)]
    return "acceptance" if optional else "refusal"


def _from_json(data: Any) -> Choice | None:
    if isinstance(data, dict):
        # Didomi: {"purposes": {"enabled": [...], "disabled": [...]}}
        purposes = data.get("purposes")
        if isinstance(purposes, dict) and ("enabled" in purposes or "disabled" in purposes):
            enabled = purposes.get("enabled") or []
            disabled = purposes.get("disabled") or []
            if enabled and not disabled:
                return "acceptance"
            if disabled and not enabled:
                return "refusal"
            return None
        # vanilla-cookieconsent: {"categories": ["necessary", "analytics"], ...}
        if isinstance(data.get("categories"), list):
            return _from_categories(data["categories"])
        flags = [(str(k), v) for k, v in data.items() if isinstance(v, bool)]
        if flags:
            return _from_flags(flags)
        for value in data.values():  # one level down: {"consents": {"analytics": false}}
            if isinstance(value, dict):
                found = _from_json(value)
                if found:
                    return found
    if isinstance(data, list) and data and all(isinstance(x, str) for x in data):
        return _from_categories(data)
    return None


def read_choice(name: str, value: str) -> Choice | None:
    """The choice a consent record holds, where its value says: refusal, acceptance, or None."""
    text = _decoded(value)
    if not text:
        return None
    if name == "cookies_preferences" or re.fullmatch(r"[\w-]{16}\.[0-9a-z]+\.[\w-]+\.[\w+~-]*\.[\w-]+", text):
        # cookiecharter: ID.TIME.VERSION.PURPOSES.SIG; no purpose granted is a refusal.
        parts = text.split(".")
        if len(parts) == 5:
            return "refusal" if parts[3] in ("", "~") else "acceptance"
    word = text.lower()
    if word in _TRUE:
        return "acceptance"
    if word in _FALSE:
        return "refusal"
    flags = _TARTEAUCITRON.findall(text)
    if flags:
        return _from_flags((k, v == "true") for k, v in flags if v != "wait")
    data = _json(text)
    if data is not None:
        found = _from_json(data)
        if found:
            return found
    flags = [(k, v.lower() in _TRUE) for k, v in _FLAG.findall(text)]
    if flags:
        return _from_flags(flags)
    if _CATEGORY_LIST.fullmatch(text) and (
        _NECESSARY.match(re.split(r"\s*[,|]\s*", text)[0]) or "," in text or "|" in text
    ):
        return _from_categories(re.split(r"\s*[,|]\s*", text))
    return None
