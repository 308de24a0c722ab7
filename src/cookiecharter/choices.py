"""A visitor's choice: checked against the site's charter, recorded in the ledger, kept in the cookie.

In this package a *choice* is what a visitor does (accept all, refuse all, a custom choice, a
withdrawal, or a browser signal); a *decision* is what the enforcement filter says of a cookie.

GPC semantics (``Sec-GPC: 1``, exactly "1"):

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
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext

from . import ledger
from .core.consent import Consent, Method, new_consent_id
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


def page_language(site: Site, request: HttpRequest) -> str:
    """The language of the page the choice was made on, as the charter knows it."""
    return site.language(getattr(request, "LANGUAGE_CODE", None) or translation.get_language())


def _user_id(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return None


def granted_by(site: Site, request: HttpRequest, choice: str, named: list[str]) -> frozenset[str]:
    """The purposes a posted choice grants (``InvalidChoice`` for one the charter cannot take)."""
    if choice not in CHOICES:
        if not choice:
            raise InvalidChoice(gettext("Missing field “choice” (accept-all, refuse-all or custom)."))
        raise InvalidChoice(
            gettext("Unknown choice “%(choice)s”: expected accept-all, refuse-all or custom.") % {"choice": choice[:40]}
        )
    asked = [p.key for p in site.charter.consent_purposes]
    if choice == Method.CUSTOM.value:
        for key in named:
            if key not in asked:
                raise InvalidChoice(
                    gettext("Unknown purpose “%(purpose)s”: this charter asks consent for %(known)s.")
                    % {"purpose": key[:40], "known": ", ".join(asked) or "-"}
                )
        return frozenset(named)
    if choice == Method.ACCEPT_ALL.value:
        granted = frozenset(asked)
        if gpc_signal(site, request):
            # GPC is never overridden by a blanket "accept all", only by an explicit switch.
            granted -= {p.key for p in site.charter.consent_purposes if p.refused_by_gpc}
        return granted
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
        user_id=_user_id(request),
        created_at=now,
        may_wait=granted <= (previous.granted if previous.decided else frozenset()),
    )
    consent = site.enforcer.bind(consent)
    request.consent = consent
    return consent, method


def browser_signal_due(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether the middleware should look at a browser signal for this response (cheap)."""
    return request.META.get("HTTP_SEC_GPC") == "1" or hasattr(request, _SIGNAL_ATTR)


def record_browser_signal(request: HttpRequest, response: HttpResponseBase | None = None) -> Consent | None:
    """Record the choice a ``Sec-GPC: 1`` arrival makes by itself, once; return it (else None).

    Called from the banner's template tag (no ``response``: the ledger record is written and
    ``request.consent`` becomes the new state for the rest of the render) and from the middleware
    on the way out (with ``response``: the cookie is set there). Either call alone records; the
    cookie needs the one with the response. Idempotent within a request. Does nothing when the
    request has no GPC signal, is not a GET/HEAD, already carries a choice or a recorded signal,
    or when the charter has no ``refused_by_gpc`` purpose.
    """
    site = site_for(request)
    consent = getattr(request, _SIGNAL_ATTR, None)
    if consent is None:
        if request.method not in ("GET", "HEAD") or not gpc_signal(site, request):
            return None
        if response is not None and (
            response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html")
        ):
            return None  # a page view, not an asset, an error page or a redirect
        charter = site.charter
        refused = [p.key for p in charter.consent_purposes if p.refused_by_gpc]
        if not refused or request.consent.consent_id is not None:
            return None
        rest = [p.key for p in charter.consent_purposes if not p.refused_by_gpc]
        now = timezone.now()
        consent = Consent(
            new_consent_id(), now.replace(microsecond=0), charter.consent_version, frozenset(), browser_signal=bool(rest)
        )
        ledger.append(
            site,
            consent=consent,
            method=Method.BROWSER_SIGNAL,
            language=page_language(site, request),
            choices=ledger.choices_for(charter, frozenset(), only=refused),
            user_id=_user_id(request),
            created_at=now,
            may_wait=True,  # a refusal: it takes effect whether or not the database answers
        )
        consent = site.enforcer.bind(consent)
        request.consent = consent
        setattr(request, _SIGNAL_ATTR, consent)
    if response is not None and not getattr(request, _SIGNAL_COOKIE_ATTR, False):
        site.set_consent_cookie(response, consent)
        setattr(request, _SIGNAL_COOKIE_ATTR, True)
    return consent
