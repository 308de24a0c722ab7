"""A visitor's choice: checked against the site's charter, recorded in the ledger, kept in the cookie.

In this package a *choice* is what a visitor does (accept all, refuse all, a custom choice, a
withdrawal, or a browser signal); a *decision* is what the enforcement filter says of a cookie.

Browser signals (docs/signals.md; the rules are ``core.signals``'s). GPC (``Sec-GPC: 1``, exactly "1"):

* In a choice: the purposes the charter marks ``refused_by_gpc`` are refused, also by "accept
  all", unless this very request grants them explicitly in a custom choice (the visitor ticked
  the switch: an explicit opt-in, which GPC allows).
* On arrival, with no choice yet: ``record_browser_signal`` records one ``browser-signal`` choice
  whose ``choices`` list only the refused purposes (``{"embeds": false}``); the others stay
  undecided, so the banner still asks about them. The cookie then carries the consent id with
  the mark "!" instead of purposes (``Consent.browser_signal``), which stops the signal being
  recorded again on every page while keeping ``decided`` False. When every consent purpose is
  ``refused_by_gpc``, nothing is left to ask: the signal is then a full refusal (a normal cookie,
  no banner), still recorded with the method ``browser-signal``.

ADPC (the ``ADPC`` header) is recorded the same way, with the method ``adpc``; its withdrawals and
objections also take back what a visitor granted on the site, at once (the middleware narrows
``request.consent`` on arrival; the record and the cookie follow on the next page view).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext

from . import accounts, ledger
from .core.consent import Consent, Method, new_consent_id
from .core.signals import NO_SIGNALS, AdpcHeader, SignalChoice, Signals, read_signals, signal_choice
from .sites import Site, site_for

#: What a form or the page script may post as ``choice``.
CHOICES = (Method.ACCEPT_ALL.value, Method.REFUSE_ALL.value, Method.CUSTOM.value)

#: Set on a request whose browser signal was recorded during it (its Consent).
_SIGNAL_ATTR = "cookiecharter_signal"
_SIGNAL_COOKIE_ATTR = "cookiecharter_signal_cookie"


class InvalidChoice(ValueError):
    """A posted choice the charter cannot take; the message is for the visitor (translated)."""


def gpc_signal(site: Site, request: HttpRequest) -> bool:
    """True when the request carries Global Privacy Control and the site honours it.

    The signal is the ``Sec-GPC: 1`` header, or, in a choice posted by the page script, the
    field ``gpc=1`` the script adds when ``navigator.globalPrivacyControl`` is true (a script
    cannot set ``Sec-GPC`` itself; an extension may set the property without the header).
    """
    if not site.config.honour_gpc:
        return False
    if request.META.get("HTTP_SEC_GPC") == "1":
        return True
    return request.method == "POST" and request.POST.get("gpc") == "1"


def signals_of(site: Site, request: HttpRequest) -> Signals:
    """What the request's signals (GPC, ADPC) say of the site's purposes, as far as it honours them."""
    gpc = gpc_signal(site, request)
    header = request.META.get("HTTP_ADPC") if site.config.honour_adpc else None
    if not gpc and header is None:
        return NO_SIGNALS
    return read_signals(site.charter, gpc=gpc, adpc=AdpcHeader.parse(header))


def narrowed(site: Site, request: HttpRequest, consent: Consent) -> Consent:
    """``consent`` less what an ADPC withdrawal or objection of this request takes back: a
    withdrawal refuses at once, before the view runs and before its record is written."""
    if not consent.granted:
        return consent
    taken = consent.granted & signals_of(site, request).adpc_refused
    return consent._replace(granted=consent.granted - taken) if taken else consent


def page_language(site: Site, request: HttpRequest) -> str:
    """The language of the page the choice was made on, as the charter knows it."""
    return site.language(getattr(request, "LANGUAGE_CODE", None) or translation.get_language())


def granted_by(site: Site, request: HttpRequest, choice: str, named: list[str]) -> frozenset[str]:
    """The purposes a posted choice grants (``InvalidChoice`` for one the charter cannot take)."""
    if choice not in CHOICES:
        if not choice:
            raise InvalidChoice(gettext("Missing field “choice” (accept-all, refuse-all or custom)."))
        raise InvalidChoice(
            gettext("Unknown choice “%(choice)s”: expected accept-all, refuse-all or custom.") % {"choice": choice[:40]}
        )
    asked = [p.key for p in site.charter.consent_purposes]
    signals = signals_of(site, request)
    if choice == Method.CUSTOM.value:
        for key in named:
            if key not in asked:
                raise InvalidChoice(
                    gettext("Unknown purpose “%(purpose)s”: this charter asks consent for %(known)s.")
                    % {"purpose": key[:40], "known": ", ".join(asked) or "-"}
                )
        # An explicit switch overrides GPC, a general signal; not an ADPC withdrawal of that purpose.
        return frozenset(named) - signals.adpc_refused
    if choice == Method.ACCEPT_ALL.value:
        # No signal is overridden by a blanket "accept all".
        return frozenset(asked) - signals.refused
    return frozenset()


def record(site: Site, request: HttpRequest, choice: str, granted: frozenset[str]) -> tuple[Consent, Method]:
    """Record the visitor's choice in the ledger and make it the request's ``consent``.

    A choice that grants nothing the visitor had not granted already (a refusal, a withdrawal, the
    same choice again) takes effect even when the database does not answer: its proof waits in the
    pending file. One that grants something new raises ``ledger.ProofUnavailable`` then: no consent
    without its proof.
    """
    previous: Consent = request.consent
    method = Method(choice)
    if choice != Method.ACCEPT_ALL.value and previous.decided and previous.granted - granted:
        method = Method.WITHDRAW
    now = timezone.now()
    consent = Consent(
        # The same visitor keeps the id they may cite (including after a browser-signal record).
        previous.consent_id or new_consent_id(),
        now.replace(microsecond=0),  # what the cookie can carry
        site.charter.consent_version,
        granted,
    )
    ledger.append(
        site,
        consent=consent,
        method=method,
        language=page_language(site, request),
        choices=ledger.choices_for(site.charter, granted),
        user_id=accounts.user_id(request),
        created_at=now,
        may_wait=granted <= (previous.granted if previous.decided else frozenset()),
    )
    accounts.remember(site, request, consent)
    consent = site.enforcer.bind(consent)
    request.consent = consent
    return consent, method


def browser_signal_due(request: HttpRequest, response: HttpResponseBase | None = None) -> bool:
    """Whether the middleware (or the banner tag) should look at the browser's signals (cheap)."""
    meta = request.META
    return meta.get("HTTP_SEC_GPC") == "1" or "HTTP_ADPC" in meta or hasattr(request, _SIGNAL_ATTR)


def record_browser_signal(request: HttpRequest, response: HttpResponseBase | None = None) -> Consent | None:
    """Record the choice the browser's signals make by themselves, once; return it (else None).

    Called from the banner's template tag (no ``response``: the ledger record is written and
    ``request.consent`` becomes the new state for the rest of the render) and from the middleware
    on the way out (with ``response``: the cookie is set there). Either call alone records; the
    cookie needs the one with the response. Idempotent within a request. Does nothing when the
    request is not a page view (a GET or HEAD answered with a 200 HTML page), or when its signals
    change nothing (``core.signals.signal_choice``).
    """
    site = site_for(request)
    consent = getattr(request, _SIGNAL_ATTR, None)
    if consent is None:
        if request.method not in ("GET", "HEAD"):
            return None
        if response is not None and (
            response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html")
        ):
            return None  # a page view, not an asset, an error page or a redirect
        signals = signals_of(site, request)
        if not signals:
            return None
        # The choice as it stands before the signals: the cookie's, or the account's just applied.
        base = getattr(request, accounts.NEXT_COOKIE, None) or site.read_consent(request)
        choice = signal_choice(base, signals, site.charter.consent_keys)
        if choice is None:
            return None
        now = timezone.now()
        consent_id = base.consent_id or new_consent_id()
        try:
            _record(site, request, consent_id, choice, now, may_wait=choice.granted <= base.granted)
        except ledger.ProofUnavailable:
            # A grant the ledger cannot prove is not made; the signals' refusals still are.
            choice = signal_choice(base, replace(signals, adpc_granted=frozenset()), site.charter.consent_keys)
            if choice is None:
                return None
            _record(site, request, consent_id, choice, now, may_wait=True)
        consent = site.enforcer.bind(_signal_consent(site, consent_id, choice, now))
        if choice.complete:
            accounts.remember(site, request, consent)
        request.consent = consent
        setattr(request, _SIGNAL_ATTR, consent)
    if response is not None and not getattr(request, _SIGNAL_COOKIE_ATTR, False):
        site.set_consent_cookie(response, consent)
        setattr(request, _SIGNAL_COOKIE_ATTR, True)
    return consent


def _signal_consent(site: Site, consent_id: str, choice: SignalChoice, now: datetime) -> Consent:
    return Consent(
        consent_id,
        now.replace(microsecond=0),
        site.charter.consent_version,
        choice.granted,
        browser_signal=not choice.complete,
    )


def _record(
    site: Site, request: HttpRequest, consent_id: str, choice: SignalChoice, now: datetime, *, may_wait: bool
) -> None:
    ledger.append(
        site,
        consent=_signal_consent(site, consent_id, choice, now),
        method=choice.method,
        language=page_language(site, request),
        choices=choice.choices,
        user_id=accounts.user_id(request),
        created_at=now,
        may_wait=may_wait,
    )
