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
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .model import ButtonSeen

if TYPE_CHECKING:  # Playwright is imported only where a browser is actually driven.
    from playwright.async_api import Frame, Locator, Page

Action = Literal["accept-all", "refuse-all", "customise", "save"]
ACTIONS: tuple[Action, ...] = ("accept-all", "refuse-all", "customise", "save")


@dataclass(frozen=True)
class ConsentManager:
    name: str
    #: CSS selectors per action (any may match).
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
LABELS: dict[str, tuple[str, ...]] = {
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
    ),  # fmt: skip
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
    ),  # fmt: skip
    "customise": (
        "personnaliser", "paramétrer", "paramétrer les cookies", "gérer les préférences", "gérer mes choix",
        "préférences", "paramètres des cookies",
        "customise", "customize", "manage preferences", "manage cookies", "cookie settings", "settings",
        "preferences", "more options", "manage options",
        "einstellungen", "anpassen", "cookie-einstellungen", "mehr optionen", "individuelle einstellungen",
        "configurar", "personalizar", "configuración", "gestionar cookies", "más opciones",
        "personalizza", "impostazioni", "gestisci preferenze", "gestisci i cookie", "più opzioni",
    ),  # fmt: skip
    "save": (
        "enregistrer", "enregistrer mes choix", "valider mes choix", "confirmer mes choix", "valider",
        "save", "save preferences", "save settings", "save my choices", "confirm my choices", "confirm choices",
        "speichern", "auswahl speichern", "einstellungen speichern", "auswahl bestätigen",
        "guardar", "guardar preferencias", "guardar configuración", "confirmar mis preferencias",
        "salva", "salva preferenze", "salva le mie scelte", "conferma le mie scelte",
    ),  # fmt: skip
}


def _js_escape(text: str) -> str:
    # re.escape also escapes spaces and dashes, which a JavaScript regex with the "u" flag rejects.
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def label_pattern(action: str) -> re.Pattern[str]:
    """A whole-label regular expression (JavaScript-compatible, Playwright sends it to the page)."""
    words = sorted(LABELS[action], key=len, reverse=True)
    alternatives = "|".join(w if w.startswith("j[") else _js_escape(w).replace("'", _APOS) for w in words)
    # Allow surrounding spaces, a trailing "!"/"." and a leading "✓" or "×" some banners add.
    return re.compile(rf"^\s*[✓✔×✕]?\s*(?:{alternatives})\s*[.!]?\s*$", re.IGNORECASE)


_PATTERNS = {a: label_pattern(a) for a in ACTIONS}


@dataclass
class Found:
    seen: ButtonSeen
    locator: Locator


async def _first_visible(locator: Locator) -> Locator | None:
    try:
        count = await locator.count()
    except Exception:  # noqa: BLE001 - a frame detached mid-search is simply not there
        return None
    for i in range(min(count, 8)):
        candidate = locator.nth(i)
        try:
            if await candidate.is_visible():
                return candidate
        except Exception:  # noqa: BLE001
            continue
    return None


async def _describe(found: Locator) -> tuple[str, bool]:
    try:
        return await found.evaluate(
            "e => [((e.innerText || e.value || e.getAttribute('aria-label') || '').trim()).slice(0, 80),"
            " e.getRootNode() instanceof ShadowRoot]"
        )
    except Exception:  # noqa: BLE001
        return "", False


async def _search_frame(frame: Frame, action: Action) -> tuple[str, str | None, str | None, Locator] | None:
    """(strategy, manager, selector, locator) of the control for ``action`` in one frame."""
    ours = f"[data-cookiecharter-action='{action}']"
    hit = await _first_visible(frame.locator(ours))
    if hit is not None:
        return "cookiecharter", None, ours, hit
    combined = ", ".join(s for m in MANAGERS for s in m.selectors.get(action, ()))
    if combined and await _first_visible(frame.locator(combined)) is not None:
        # Which manager: only now, once, selector by selector.
        for manager in MANAGERS:
            for selector in manager.selectors.get(action, ()):
                hit = await _first_visible(frame.locator(selector))
                if hit is not None:
                    return "manager", manager.name, selector, hit
    pattern = _PATTERNS[action]
    by_text = frame.get_by_role("button", name=pattern).or_(frame.get_by_role("link", name=pattern))
    hit = await _first_visible(by_text)
    if hit is not None:
        return "text", None, None, hit
    return None


async def find_control(page: Page, action: Action, wait_s: float = 0.0) -> Found | None:
    """Look for ``action``'s control in every frame, polling up to ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        # Top frame first: a banner in the page itself beats a lookalike in an embedded frame.
        for frame in list(page.frames):
            result = await _search_frame(frame, action)
            if result is None:
                continue
            strategy, manager, selector, locator = result
            text, in_shadow = await _describe(locator)
            seen = ButtonSeen(
                action=action,
                found=True,
                strategy=strategy,  # type: ignore[arg-type]
                manager=manager,
                selector=selector,
                text=text or None,
                frame_url=None if frame == page.main_frame else frame.url,
                in_shadow_dom=bool(in_shadow),
            )
            return Found(seen, locator)
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.15)


async def survey(page: Page) -> list[ButtonSeen]:
    """Every control found on the page now (no waiting, nothing clicked): the arrival report."""
    seen: list[ButtonSeen] = []
    for action in ACTIONS:
        found = await find_control(page, action)
        seen.append(found.seen if found else ButtonSeen(action=action, found=False))
    return seen
