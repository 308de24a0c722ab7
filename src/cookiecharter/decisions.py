"""The consent endpoint, and the decision a Global Privacy Control signal makes on its own.

One decision = validate against the current charter -> one ledger record -> the signed cookie.
The same view serves the plain HTML forms (303 back to the page) and the page script's fetch
(JSON), so the banner works without JavaScript.

GPC semantics (``Sec-GPC: 1``, exactly "1"):

* In a decision: the purposes the charter marks ``refused_by_gpc`` are refused, also by "accept
  all", unless this very request grants them explicitly in a custom choice (the visitor ticked
  the switch: an explicit opt-in, which GPC allows).
* On arrival, with no decision yet: ``record_browser_signal`` records one ``browser-signal``
  decision whose choices list only the refused purposes (``{"embeds": false}``); the others stay
  undecided, so the banner still asks about them. The cookie then carries the consent id with
  the mark "!" instead of purposes (``Consent.browser_signal``), which stops the signal being
  recorded again on every page while keeping ``decided`` False. When every consent purpose is
  ``refused_by_gpc``, nothing is left to ask: the signal is then a full refusal (a normal cookie,
  no banner), still recorded with the method ``browser-signal``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from . import conf, ledger
from .consent import current_charter, get_consent, remember_consent, set_consent_cookie
from .core.charter import Charter
from .core.consent import Consent, Method, new_consent_id
from .templatetags.cookiecharter import preferences_markup

CHOICES = (Method.ACCEPT_ALL.value, Method.REFUSE_ALL.value, Method.CUSTOM.value)


def gpc_signal(request: HttpRequest) -> bool:
    """True when the request carries Global Privacy Control and the site honours it.

    The signal is the ``Sec-GPC: 1`` header, or, in a decision posted by the page script, the
    field ``gpc=1`` the script adds when ``navigator.globalPrivacyControl`` is true (a script
    cannot set ``Sec-GPC`` itself; an extension may set the property without the header).
    """
    if not conf.config()["HONOUR_GPC"]:
        return False
    if request.META.get("HTTP_SEC_GPC") == "1":
        return True
    return request.method == "POST" and request.POST.get("gpc") == "1"


def charter_language(charter: Charter, request: HttpRequest | None = None) -> str:
    """The language of the page the decision was made on, as the charter knows it."""
    code = getattr(request, "LANGUAGE_CODE", None) or translation.get_language() or ""
    lang = code.split("-")[0].lower()
    if lang in charter.languages or not charter.languages:
        return lang or "en"
    return charter.languages[0]


def _user_id(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return None


def _wants_json(request: HttpRequest) -> bool:
    # META, not request.headers: that builds a dict of every header on first use.
    return "application/json" in request.META.get("HTTP_ACCEPT", "")


def _bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": reason}, status=400)
    return HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    return target if target and _on_this_site(request, target) else "/"


def _on_this_site(request: HttpRequest, url: str) -> bool:
    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())


#: What ``never_cache`` writes, as one constant: a decision's answer must never be stored by a cache.
_NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


@require_safe
def preferences_view(request: HttpRequest) -> HttpResponse:
    """``GET preferences/?next=PAGE``: the preferences dialog alone (closed), with the visitor's
    current choices and a CSRF token, which the page script fetches when a visitor opens the
    preferences. ``next`` is the page the dialog is opened on, where a decision posted without
    JavaScript returns; one that is not a page of this site is refused (400)."""
    target = request.GET.get("next") or "/"
    if not _on_this_site(request, target):
        return _bad_request(request, "next: not a page of this site.")
    markup = preferences_markup(request, target)
    if markup is None:
        raise Http404("No purpose of the charter needs consent: there are no preferences to set.")
    response = HttpResponse(markup, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = _NO_STORE  # the visitor's own choices and CSRF token
    return response


@require_POST
def consent_view(request: HttpRequest) -> HttpResponse:
    """The endpoint. CSRF-checked here too when the site runs without ``CsrfViewMiddleware``; when
    the middleware has already accepted the request, its check is not paid twice."""
    if getattr(request, "csrf_processing_done", False):
        return _decide(request)
    return _decide_csrf_protected(request)


def _decide(request: HttpRequest) -> HttpResponse:
    charter = current_charter()
    choice = request.POST.get("choice", "")
    if choice not in CHOICES:
        if not choice:
            return _bad_request(request, gettext("Missing field “choice” (accept-all, refuse-all or custom)."))
        return _bad_request(
            request,
            gettext("Unknown choice “%(choice)s”: expected accept-all, refuse-all or custom.")
            % {"choice": choice[:40]},
        )
    asked = [p.key for p in charter.consent_purposes]
    granted: frozenset[str]
    if choice == Method.CUSTOM.value:
        named = request.POST.getlist("purpose")
        for key in named:
            if key not in asked:
                return _bad_request(
                    request,
                    gettext("Unknown purpose “%(purpose)s”: this charter asks consent for %(known)s.")
                    % {"purpose": key[:40], "known": ", ".join(asked) or "-"},
                )
        granted = frozenset(named)
    elif choice == Method.ACCEPT_ALL.value:
        granted = frozenset(asked)
        if gpc_signal(request):
            # GPC is never overridden by a blanket "accept all", only by an explicit switch.
            granted -= {p.key for p in charter.consent_purposes if p.refused_by_gpc}
    else:
        granted = frozenset()

    previous = get_consent(request)
    method = Method(choice)
    if choice != Method.ACCEPT_ALL.value and previous.decided and previous.granted - granted:
        method = Method.WITHDRAW
    now = timezone.now()
    consent = Consent(
        # The same visitor keeps the id they may cite (including after a browser-signal record).
        previous.consent_id or new_consent_id(),
        now.replace(microsecond=0),  # what the cookie can carry
        charter.consent_version,
        granted,
    )
    ledger.append(
        charter=charter,
        consent=consent,
        method=method,
        language=charter_language(charter, request),
        choices=ledger.choices_for(charter, granted),
        user_id=_user_id(request),
        created_at=now,
    )
    remember_consent(request, consent)

    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {
                "consent_id": consent.consent_id,
                "decided_at": consent.decided_at.isoformat() if consent.decided_at else None,
                "consent_version": consent.consent_version,
                "granted": sorted(granted),
                "method": method.value,
            }
        )
    else:
        response = HttpResponseRedirect(_next_url(request), status=303)
    response["Cache-Control"] = _NO_STORE
    set_consent_cookie(response, consent)
    return response


_decide_csrf_protected = csrf_protect(_decide)

_SIGNAL_ATTR = "_cookiecharter_signal"
_SIGNAL_COOKIE_ATTR = "_cookiecharter_signal_cookie"


def record_browser_signal(request: HttpRequest, response: HttpResponse | None = None) -> Consent | None:
    """Record the decision a ``Sec-GPC: 1`` arrival makes by itself, once; return it (else None).

    Call it from the banner's template tag (no ``response``: the ledger record is written and
    ``get_consent`` returns the new state for the rest of the render) and from the middleware on
    the way out (with ``response``: the cookie is set there). Either call alone records; the
    cookie needs the one with the response. Idempotent within a request. Does nothing when the
    request has no GPC signal, is not a GET/HEAD, already carries a decision or a recorded
    signal, or when the charter has no ``refused_by_gpc`` purpose.
    """
    consent = getattr(request, _SIGNAL_ATTR, None)
    if consent is None:
        if request.method not in ("GET", "HEAD") or not gpc_signal(request):
            return None
        if response is not None and (
            response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html")
        ):
            return None  # a page view, not an asset, an error page or a redirect
        charter = current_charter()
        refused = [p.key for p in charter.consent_purposes if p.refused_by_gpc]
        if not refused or get_consent(request).consent_id is not None:
            return None
        rest = [p.key for p in charter.consent_purposes if not p.refused_by_gpc]
        now = timezone.now()
        consent = Consent(
            new_consent_id(),
            now.replace(microsecond=0),
            charter.consent_version,
            frozenset(),
            browser_signal=bool(rest),
        )
        ledger.append(
            charter=charter,
            consent=consent,
            method=Method.BROWSER_SIGNAL,
            language=charter_language(charter, request),
            choices=ledger.choices_for(charter, frozenset(), only=refused),
            user_id=_user_id(request),
            created_at=now,
        )
        remember_consent(request, consent)
        setattr(request, _SIGNAL_ATTR, consent)
    if response is not None and not getattr(request, _SIGNAL_COOKIE_ATTR, False):
        set_consent_cookie(response, consent)
        setattr(request, _SIGNAL_COOKIE_ATTR, True)
    return consent
