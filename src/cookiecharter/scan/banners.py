"""Finding a consent banner's controls: ours, the common consent managers', or by their words.

Three strategies, tried in this order in every frame of the page (iframes included; Playwright's
CSS engine pierces open shadow roots, which is where Usercentrics and Axeptio render):

1. ``cookiecharter``: our own banner, by the stable ``data-cookiecharter-action`` attributes
   documented in docs/internals.md (never by text or class, so restyling cannot break audits);
2. ``manager``: the markup of well-known consent managers (ids, classes, data attributes);
3. ``text``: a button or link whose accessible name is a known label in French, English, German,
   Spanish or Italian ("Tout refuser", "Reject all", "Alle ablehnen", ...).

The report says which strategy found each control, so a "text" match (the weakest) is visible.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .model import ButtonSeen

if TYPE_CHECKING:  # Playwright is imported only where a browser is actually driven.
    from playwright.async_api import Locator, Page

log = logging.getLogger("cookiecharter.scan")

Action = Literal["accept-all", "refuse-all", "customise", "save"]
ACTIONS: tuple[Action, ...] = ("accept-all", "refuse-all", "customise", "save")


@dataclass(frozen=True)
class ConsentManager:
    name: str
    #: CSS selectors per action (any may match).
    selectors: dict[Action, tuple[str, ...]] = field(default_factory=dict)


# Public facts about each manager's markup (ids and classes their scripts render).
MANAGERS: tuple[ConsentManager, ...] = (
    ConsentManager(
        "vanilla-cookieconsent",
        {
            # v3 renders #cc-main with data-role buttons; v2 used #cc_div with #c-p-bn / #c-s-bn.
            "accept-all": ("#cc-main [data-role='all']", "#cc_div #c-p-bn"),
            "refuse-all": ("#cc-main [data-role='necessary']", "#cc_div #c-s-bn"),
            "customise": ("#cc-main [data-role='show']", "#cc_div .c-bn[data-cc='c-settings']"),
            "save": ("#cc-main [data-role='save']", "#cc_div #s-sv-bn"),
        },
    ),
    ConsentManager(
        "klaro",
        {
            "accept-all": (".klaro .cm-btn-accept-all", ".klaro .cookie-notice .cm-btn-success"),
            "refuse-all": (".klaro .cn-decline", ".klaro .cm-btn-decline"),
            "customise": (".klaro .cn-learn-more",),
            "save": (".klaro .cm-btn-accept",),
        },
    ),
    ConsentManager(
        "tarteaucitron",
        {
            "accept-all": ("#tarteaucitronPersonalize2", "#tarteaucitronAllAllowed"),
            "refuse-all": ("#tarteaucitronAllDenied2", "#tarteaucitronAllDenied"),
            "customise": ("#tarteaucitronCloseAlert",),
            "save": ("#tarteaucitronSaveButton", "#tarteaucitronClosePanel"),
        },
    ),
    ConsentManager(
        "osano",
        {
            "accept-all": (".osano-cm-accept-all", ".osano-cm-button--type_accept"),
            "refuse-all": (".osano-cm-denyAll", ".osano-cm-button--type_deny", ".osano-cm-deny"),
            "customise": (".osano-cm-manage", ".osano-cm-button--type_manage"),
            "save": (".osano-cm-save", ".osano-cm-button--type_save"),
        },
    ),
    ConsentManager(
        "onetrust",
        {
            "accept-all": ("#onetrust-accept-btn-handler", "#accept-recommended-btn-handler"),
            "refuse-all": ("#onetrust-reject-all-handler", ".ot-pc-refuse-all-handler"),
            "customise": ("#onetrust-pc-btn-handler",),
            "save": (".save-preference-btn-handler",),
        },
    ),
    ConsentManager(
        "cookiebot",
        {
            "accept-all": (
                "#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll",
                "#CybotCookiebotDialogBodyButtonAccept",
            ),
            "refuse-all": (
                "#CybotCookiebotDialogBodyButtonDecline",
                "#CybotCookiebotDialogBodyLevelButtonLevelOptinDeclineAll",
            ),
            "customise": ("#CybotCookiebotDialogBodyLevelButtonCustomize",),
            "save": ("#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowallSelection",),
        },
    ),
    ConsentManager(
        "didomi",
        {
            "accept-all": ("#didomi-notice-agree-button",),
            "refuse-all": ("#didomi-notice-disagree-button", ".didomi-continue-without-agreeing"),
            "customise": ("#didomi-notice-learn-more-button",),
            "save": (".didomi-consent-popup-actions .didomi-button-highlight",),
        },
    ),
    ConsentManager(
        "axeptio",
        {
            "accept-all": ("#axeptio_btn_acceptAll",),
            "refuse-all": ("#axeptio_btn_dismiss",),
            "customise": ("#axeptio_btn_configure",),
            "save": ("#axeptio_btn_next",),
        },
    ),
    # Osano's earlier, open-source banner (npm "cookieconsent"), still on many sites.
    ConsentManager(
        "cookieconsent",
        {
            "accept-all": (".cc-window .cc-allow",),
            "refuse-all": (".cc-window .cc-deny",),
        },
    ),
    ConsentManager(
        "complianz",
        {
            "accept-all": (".cmplz-cookiebanner .cmplz-accept",),
            "refuse-all": (".cmplz-cookiebanner .cmplz-deny",),
            "customise": (".cmplz-cookiebanner .cmplz-view-preferences",),
            "save": (".cmplz-cookiebanner .cmplz-save-preferences",),
        },
    ),
    ConsentManager(
        "cookieyes",
        {
            "accept-all": (".cky-consent-container .cky-btn-accept", "#cookie_action_close_header"),
            "refuse-all": (".cky-consent-container .cky-btn-reject", "#cookie_action_close_header_reject"),
            "customise": (".cky-consent-container .cky-btn-customize",),
            "save": (".cky-btn-preferences",),
        },
    ),
    ConsentManager(
        "iubenda",
        {
            "accept-all": ("#iubenda-cs-banner .iubenda-cs-accept-btn",),
            "refuse-all": ("#iubenda-cs-banner .iubenda-cs-reject-btn",),
            "customise": ("#iubenda-cs-banner .iubenda-cs-customize-btn",),
        },
    ),
    ConsentManager(
        "borlabs-cookie",
        {
            "accept-all": ("#BorlabsCookieBox ._brlbs-btn-accept-all", "#BorlabsCookieBox a[data-cookie-accept-all]"),
            "refuse-all": ("#BorlabsCookieBox ._brlbs-refuse-btn a", "#BorlabsCookieBox a[data-cookie-refuse]"),
            "customise": ("#BorlabsCookieBox a[data-cookie-individual]",),
        },
    ),
    ConsentManager(
        "trustarc",
        {
            "accept-all": ("#truste-consent-button",),
            "refuse-all": ("#truste-consent-required",),
            "customise": ("#truste-show-consent",),
        },
    ),
    ConsentManager(
        "termly",
        {
            "accept-all": ("[data-tid='banner-accept']",),
            "refuse-all": ("[data-tid='banner-decline']",),
            "customise": ("[data-tid='banner-manage']",),
        },
    ),
    ConsentManager(
        "cookiefirst",
        {
            "accept-all": ("[data-cookiefirst-action='accept']",),
            "refuse-all": ("[data-cookiefirst-action='reject']",),
            "customise": ("[data-cookiefirst-action='adjust']",),
            "save": ("[data-cookiefirst-action='save']",),
        },
    ),
    ConsentManager(
        "consentmanager.net",
        {
            "accept-all": ("#cmpbox .cmpboxbtnyes",),
            "refuse-all": ("#cmpbox .cmpboxbtnno",),
            "customise": ("#cmpbox .cmpboxbtncustom",),
            "save": ("#cmpbox .cmpboxbtnsave",),
        },
    ),
    ConsentManager(
        "civic-cookie-control",
        {
            "accept-all": ("#ccc #ccc-recommended-settings", "#ccc #ccc-notify-accept"),
            "refuse-all": ("#ccc #ccc-reject-settings", "#ccc #ccc-notify-reject"),
            "customise": ("#ccc .ccc-notify-link",),
        },
    ),
    ConsentManager(
        "cookie-script",
        {
            "accept-all": ("#cookiescript_accept",),
            "refuse-all": ("#cookiescript_reject",),
            "customise": ("#cookiescript_manage",),
            "save": ("#cookiescript_save",),
        },
    ),
    ConsentManager(
        "gdpr-cookie-compliance",
        {
            "accept-all": ("#moove_gdpr_cookie_info_bar .moove-gdpr-infobar-allow-all",),
            "refuse-all": ("#moove_gdpr_cookie_info_bar .moove-gdpr-infobar-reject-btn",),
            "customise": ("#moove_gdpr_cookie_info_bar .moove-gdpr-infobar-settings-btn",),
        },
    ),
    ConsentManager(
        "cookiehub",
        {
            "accept-all": (".ch2-dialog .ch2-allow-all-btn",),
            "refuse-all": (".ch2-dialog .ch2-deny-all-btn",),
            "customise": (".ch2-dialog .ch2-open-settings-btn",),
        },
    ),
    ConsentManager(
        "quantcast-choice",
        {
            "accept-all": (".qc-cmp2-summary-buttons button[mode='primary']",),
            "refuse-all": (".qc-cmp2-summary-buttons button[mode='secondary']",),
            "customise": (".qc-cmp2-summary-buttons button[mode='link']",),
        },
    ),
    ConsentManager(
        "cookie-information",
        {
            "accept-all": ("#coiPage-1 .coi-banner__accept",),
            "refuse-all": ("#coiPage-1 .coi-banner__decline", "#declineButton"),
            "customise": ("#coiPage-1 .coi-banner__settings", "#coiPage-1 .summary-texts__show-details"),
        },
    ),
    # cookie-consent-js (npm), a small opt-in modal: "technically necessary only" or "accept all".
    ConsentManager(
        "cookie-consent-js",
        {
            "accept-all": (".cookie-consent-modal .btn-accept-all",),
            "refuse-all": (".cookie-consent-modal .btn-accept-necessary",),
        },
    ),
    # Porsche's cookie-consent-banner (npm), a web component: its buttons are in a shadow root,
    # named by their CSS parts.
    ConsentManager(
        "porsche-cookie-consent-banner",
        {
            "accept-all": ("[part='button-accept-all']",),
            "refuse-all": ("[part='button-essential-only']",),
            "save": ("[part='button-persist-selection']",),
        },
    ),
    ConsentManager(
        "usercentrics",
        {
            "accept-all": ("[data-testid='uc-accept-all-button']", "#usercentrics-cmp-ui #accept"),
            "refuse-all": ("[data-testid='uc-deny-all-button']", "#usercentrics-cmp-ui #deny"),
            "customise": ("[data-testid='uc-more-button']", "#usercentrics-cmp-ui #more"),
            "save": ("[data-testid='uc-save-button']", "#usercentrics-cmp-ui #save"),
        },
    ),
)

_APOS = "['’]"
#: Button labels per action, in fr, en, de, es, it (lower case; whole-label matches only).
LABELS: dict[Action, tuple[str, ...]] = {
    "accept-all": (
        # fr
        "tout accepter", "accepter tout", "accepter", f"j{_APOS}accepte", "accepter et fermer",
        "accepter les cookies", "accepter tous les cookies", "tout autoriser", "autoriser tous les cookies",
        "ok pour moi", "j'ai compris",
        # en
        "accept all", "accept", "accept all cookies", "accept cookies", "allow all", "allow all cookies",
        "i accept", "agree", "i agree", "agree and close", "accept and close", "got it", "ok",
        # de
        "alle akzeptieren", "akzeptieren", "alle cookies akzeptieren", "zustimmen", "allen zustimmen",
        "alle zulassen", "alle annehmen", "annehmen", "einverstanden", "ich stimme zu",
        # es
        "aceptar todo", "aceptar todas", "aceptar", "aceptar cookies", "aceptar todas las cookies",
        "permitir todas", "acepto", "de acuerdo",
        # it
        "accetta tutto", "accetta tutti", "accetta", "accetto", "accetta i cookie", "accetta tutti i cookie",
        "consenti tutti", "acconsento",
    ),
    "refuse-all": (
        # fr
        "tout refuser", "refuser tout", "refuser", "je refuse", "refuser les cookies", "refuser et fermer",
        "refuser tous les cookies", "continuer sans accepter", "non merci", "rejeter", "tout rejeter",
        # en
        "reject all", "reject", "reject all cookies", "refuse all", "refuse", "decline", "decline all",
        "deny", "deny all", "necessary only", "only necessary", "necessary cookies only",
        "use necessary cookies only", "continue without accepting", "no thanks",
        # de
        "alle ablehnen", "ablehnen", "nur notwendige", "nur notwendige cookies", "nur erforderliche",
        "nur erforderliche cookies", "nicht zustimmen", "weiter ohne zustimmung",
        # es
        "rechazar todo", "rechazar todas", "rechazar", "rechazar cookies", "denegar", "solo necesarias",
        "continuar sin aceptar",
        # it
        "rifiuta tutto", "rifiuta tutti", "rifiuta", "rifiuta i cookie", "nega", "solo necessari",
        "continua senza accettare",
    ),
    "customise": (
        "personnaliser", "paramétrer", "paramétrer les cookies", "gérer les préférences", "gérer mes choix",
        "préférences", "paramètres des cookies",
        "customise", "customize", "manage preferences", "manage cookies", "cookie settings", "settings",
        "preferences", "more options", "manage options",
        "einstellungen", "anpassen", "cookie-einstellungen", "mehr optionen", "individuelle einstellungen",
        "configurar", "personalizar", "configuración", "gestionar cookies", "más opciones",
        "personalizza", "impostazioni", "gestisci preferenze", "gestisci i cookie", "più opzioni",
    ),
    "save": (
        "enregistrer", "enregistrer mes choix", "valider mes choix", "confirmer mes choix", "valider",
        "save", "save preferences", "save settings", "save my choices", "confirm my choices", "confirm choices",
        "speichern", "auswahl speichern", "einstellungen speichern", "auswahl bestätigen",
        "guardar", "guardar preferencias", "guardar configuración", "confirmar mis preferencias",
        "salva", "salva preferenze", "salva le mie scelte", "conferma le mie scelte",
    ),
}  # fmt: skip


def _js_escape(text: str) -> str:
    # re.escape also escapes spaces and dashes, which a JavaScript regex with the "u" flag rejects.
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def label_pattern(action: Action) -> re.Pattern[str]:
    """A whole-label regular expression (JavaScript-compatible, Playwright sends it to the page)."""
    words = sorted(LABELS[action], key=len, reverse=True)
    alternatives = "|".join(w if w.startswith("j[") else _js_escape(w).replace("'", _APOS) for w in words)
    # Allow surrounding spaces, a trailing "!"/"." and a leading "✓" or "×" some banners add.
    return re.compile(rf"^\s*[✓✔×✕]?\s*(?:{alternatives})\s*[.!]?\s*$", re.IGNORECASE)


_PATTERNS = {a: label_pattern(a) for a in ACTIONS}


#: Marks the control found, so Playwright can click it (its CSS engine pierces shadow roots too).
TARGET_ATTRIBUTE = "data-cookiecharter-scan-target"

#: One pass over a frame, in the page: every element (open shadow roots included), visible ones
#: only, tried against our attributes, the managers' selectors, then the labels. One round trip
#: per frame instead of dozens of locator queries: the search runs while the banner is polled.
_FIND_SCRIPT = """
(spec) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) > 0.01;
  };
  const all = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  for (const el of all) if (spec.actions.includes(el.getAttribute(spec.target))) el.removeAttribute(spec.target);
  const matches = (el, sel) => { try { return el.matches(sel); } catch (e) { return false; } };
  const label = (el) => (el.innerText || el.value || el.getAttribute("aria-label") || "").replace(/\\s+/g, " ").trim();
  const clickable = "button, [role=button], a, input[type=button], input[type=submit]";
  const out = {};
  for (const action of spec.actions) {
    let hit = null;
    const ours = `[data-cookiecharter-action='${action}']`;
    for (const el of all) if (matches(el, ours) && visible(el)) { hit = {el, strategy: "cookiecharter", selector: ours}; break; }
    if (!hit) {
      outer: for (const [manager, selectors] of spec.managers[action] || []) {
        for (const sel of selectors) for (const el of all) {
          if (matches(el, sel) && visible(el)) { hit = {el, strategy: "manager", manager, selector: sel}; break outer; }
        }
      }
    }
    if (!hit) {
      const rx = new RegExp(spec.labels[action], "i");
      for (const el of all) if (matches(el, clickable) && rx.test(label(el)) && visible(el)) { hit = {el, strategy: "text"}; break; }
    }
    if (hit) {
      hit.el.setAttribute(spec.target, action);
      out[action] = {strategy: hit.strategy, manager: hit.manager || null, selector: hit.selector || null,
                     text: label(hit.el).slice(0, 80), inShadow: hit.el.getRootNode() instanceof ShadowRoot};
    }
  }
  return out;
}
"""


def _spec(actions: tuple[Action, ...]) -> dict[str, object]:
    return {
        "actions": list(actions),
        "managers": {
            a: [[m.name, list(m.selectors.get(a, ()))] for m in MANAGERS if m.selectors.get(a)] for a in actions
        },
        "labels": {a: _PATTERNS[a].pattern for a in actions},
        "target": TARGET_ATTRIBUTE,
    }


@dataclass
class Found:
    seen: ButtonSeen
    locator: Locator


async def _search(page: Page, actions: tuple[Action, ...]) -> dict[Action, Found]:
    """The controls for ``actions`` found now, frame by frame, top frame first."""
    from playwright.async_api import Error as PlaywrightError

    found: dict[Action, Found] = {}
    spec = _spec(actions)
    for frame in list(page.frames):
        wanted = tuple(a for a in actions if a not in found)
        if not wanted:
            break
        try:
            result = await frame.evaluate(_FIND_SCRIPT, {**spec, "actions": list(wanted)})
        except PlaywrightError:  # a frame detached or navigating mid-search is not there
            log.debug("cookiecharter: frame %s did not answer the banner search", frame.url, exc_info=True)
            continue
        for action, hit in (result or {}).items():
            seen = ButtonSeen(
                action=action,
                found=True,
                strategy=hit["strategy"],
                manager=hit.get("manager"),
                selector=hit.get("selector"),
                text=hit.get("text") or None,
                frame_url=None if frame == page.main_frame else frame.url,
                in_shadow_dom=bool(hit.get("inShadow")),
            )
            found[action] = Found(seen, frame.locator(f"[{TARGET_ATTRIBUTE}='{action}']").first)
    return found


async def find_control(page: Page, action: Action, wait_s: float = 0.0) -> Found | None:
    """Look for ``action``'s control in every frame, polling up to ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        found = (await _search(page, (action,))).get(action)
        if found is not None or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(0.15)


#: Containers consent managers render their banner in (and generic names sites give theirs): one
#: that is in the page but not shown, when no control could be found, suggests a banner withheld
#: from automated browsers.
BANNER_CONTAINERS: tuple[str, ...] = (
    "[data-cookiecharter-banner]", "#cc-main", "#cc_div", "#tarteaucitronRoot", ".klaro", "#onetrust-banner-sdk",
    "#CybotCookiebotDialog", "#didomi-host", "#axeptio_overlay", "#usercentrics-root", ".osano-cm-window",
    ".cc-window", "#cookie-law-info-bar", ".cky-consent-container", "#cmplz-cookiebanner-container",
    "#BorlabsCookieBox", "#iubenda-cs-banner", "#moove_gdpr_cookie_info_bar", "#cookie-notice",
    "[id*='cookie-banner' i]", "[class*='cookie-banner' i]", "[id*='cookie-consent' i]", "[id*='consent-banner' i]",
)  # fmt: skip

_HIDDEN_SCRIPT = """
(selectors) => {
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width >= 1 && r.height >= 1 && s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) > 0.01;
  };
  for (const sel of selectors) {
    let els = [];
    try { els = Array.from(document.querySelectorAll(sel)); } catch (e) { continue; }
    if (els.length && !els.some(shown)) return sel;
  }
  return null;
}
"""


async def hidden_banner(page: Page) -> str | None:
    """The selector of a banner container present in some frame but not shown, or None."""
    from playwright.async_api import Error as PlaywrightError

    for frame in list(page.frames):
        try:
            found = await frame.evaluate(_HIDDEN_SCRIPT, list(BANNER_CONTAINERS))
        except PlaywrightError:  # detached or navigating: it shows no banner
            log.debug("cookiecharter: frame %s did not answer the hidden-banner check", frame.url, exc_info=True)
            continue
        if found:
            return str(found)
    return None


#: What consent managers that expose their configuration on the page declare optional: the cookies
#: of each service or category that is not required, with its purpose. Read from their own public
#: objects (Klaro's ``klaroConfig``, tarteaucitron's ``tarteaucitron.services`` of the jobs the
#: site pushed, vanilla-cookieconsent's ``CookieConsent.getConfig``, OneTrust's
#: ``OneTrust.GetDomainData``); names may be regular expressions, sent as ``/source/``.
_DECLARED_SCRIPT = """
() => {
  const out = [];
  const nameOf = (c) => {
    if (c instanceof RegExp) return "/" + c.source + "/";
    if (Array.isArray(c)) return nameOf(c[0]);
    if (c && typeof c === "object" && "name" in c) return nameOf(c.name);
    return typeof c === "string" ? c : null;
  };
  const push = (manager, purpose, cookies) => {
    for (const c of cookies || []) { const n = nameOf(c); if (n) out.push({manager, purpose: String(purpose || ""), name: n}); }
  };
  try {
    const k = window.klaroConfig || (window.klaro && window.klaro.getManager && window.klaro.getManager().config);
    if (k && Array.isArray(k.services || k.apps)) {
      for (const s of (k.services || k.apps)) if (!s.required) push("klaro", (s.purposes || [])[0] || s.name, s.cookies);
    }
  } catch (e) {}
  try {
    const t = window.tarteaucitron;
    if (t && t.services && Array.isArray(t.job)) {
      for (const key of t.job) { const s = t.services[key]; if (s && s.needConsent !== false) push("tarteaucitron", s.type || key, s.cookies); }
    }
  } catch (e) {}
  try {
    const cc = window.CookieConsent;
    const cats = cc && cc.getConfig && cc.getConfig("categories");
    if (cats) for (const [name, cat] of Object.entries(cats)) {
      if (!cat.readOnly) push("vanilla-cookieconsent", name, cat.autoClear && cat.autoClear.cookies);
    }
  } catch (e) {}
  try {
    const data = window.OneTrust && window.OneTrust.GetDomainData && window.OneTrust.GetDomainData();
    if (data && Array.isArray(data.Groups)) {
      for (const g of data.Groups) if (g.CustomGroupId !== "C0001") push("onetrust", g.GroupName || g.CustomGroupId, (g.Cookies || []).map(c => c.Name));
    }
  } catch (e) {}
  return out;
}
"""


async def declared_optional(page: Page) -> list[dict[str, str]]:
    """Cookies the page's consent manager declares optional in its own configuration."""
    from playwright.async_api import Error as PlaywrightError

    try:
        found = await page.main_frame.evaluate(_DECLARED_SCRIPT)
    except PlaywrightError:  # navigating or closed: no configuration read, nothing declared
        log.debug("cookiecharter: %s did not answer the consent manager's configuration", page.url, exc_info=True)
        return []
    return [dict(x) for x in found or [] if isinstance(x, dict)][:500]


async def banner_visible(page: Page) -> bool:
    """Whether a first-layer control ("accept all" or "refuse all") is visible in any frame now."""
    return bool(await _search(page, ("accept-all", "refuse-all")))


#: Whether a control is ready for a person's click: visible, enabled, not covered, not moving,
#: and live (see probe.LIVE_SCRIPT). Runs on the marked element, in its own frame.
_READY_SCRIPT = """
async (el) => {
  const box = () => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height].map(Math.round).join(","); };
  const first = box();
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const r = el.getBoundingClientRect();
  const root = el.getRootNode();
  const hit = root.elementFromPoint ? root.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) : null;
  const live = typeof window.%s === "function" ? window.%s(el) : true;
  return {
    stable: first === box(),
    enabled: !el.disabled && getComputedStyle(el).pointerEvents !== "none",
    uncovered: !hit || hit === el || el.contains(hit) || (hit.contains && hit.contains(el)),
    live,
  };
}
"""


async def wait_ready(found: Found, wait_s: float) -> bool:
    """Wait, at most ``wait_s``, until the control can really be clicked; True when it can."""
    from playwright.async_api import Error as PlaywrightError

    from .probe import LIVE_GLOBAL

    script = _READY_SCRIPT % (LIVE_GLOBAL, LIVE_GLOBAL)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            state = await found.locator.evaluate(script, timeout=2000)
        except PlaywrightError:  # re-rendered or navigating: the caller looks again
            log.debug("cookiecharter: the %s control went away while waiting for it", found.seen.action, exc_info=True)
            return False
        if all(state.values()):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.1)


async def survey(page: Page) -> list[ButtonSeen]:
    """Every control found on the page now (no waiting, nothing clicked): the arrival report."""
    found = await _search(page, ACTIONS)
    return [found[a].seen if a in found else ButtonSeen(action=a, found=False) for a in ACTIONS]
