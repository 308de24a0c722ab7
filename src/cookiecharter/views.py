"""Every view of the package, each for the request's site (``request.cookiecharter_site``).

- ``charter_page`` and ``charter_pdf``: the charter page and its PDF, in the request's language;
- ``consent_view``: the consent endpoint; one choice = checked against the charter -> one ledger
  record -> the signed cookie. The same view serves the plain HTML forms (303 back to the page)
  and the page script's fetch (JSON), so the banner works without JavaScript;
- ``preferences_view``: the preferences dialog alone, which the page script fetches when opened;
- ``adpc_view``: the ADPC consent requests resource, the purposes a browser may answer for the
  visitor (docs/signals.md).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from . import choices, ledger
from .consent_ui import ui_for
from .page import Honoured, Page, build_page
from .sites import Site, registry, site_for

#: What ``never_cache`` writes, as one constant: an answer about one visitor must never be stored
#: by a shared cache.
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"
#: When to ask again after the ledger could not record an acceptance (seconds, ``Retry-After``).
RETRY_AFTER = 60


def _own(response: HttpResponse) -> HttpResponse:
    """The package's own answers about one visitor: never framed by another page (clickjacking a
    choice), never kept by a shared cache, whatever middleware the site has or lacks."""
    response["Cache-Control"] = NO_STORE
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _page(site: Site) -> Page:
    lang = translation.get_language() or settings.LANGUAGE_CODE
    # django.utils.translation is the translator: the page's strings go through Django's catalogues
    # (the package's .mo, plus any override in the site's LOCALE_PATHS).
    honoured = Honoured(site.config.honour_gpc, site.config.honour_adpc, site.config.follow_account)
    return build_page(site.charter, lang, translation, honoured)


@require_safe
def charter_page(request: HttpRequest) -> HttpResponse:
    site = site_for(request)
    context = {
        "page": _page(site),
        "charter": site.charter,
        "site": site,
        "pdf_url": reverse("cookiecharter:charter-pdf"),
        "base_template": registry.settings().base_template,
    }
    return render(request, "cookiecharter/charter_page.html", context)


@require_safe
def charter_pdf(request: HttpRequest) -> HttpResponse:
    from .page.pdf import render_pdf  # reportlab is an extra ("pdf"): import it only when asked

    site = site_for(request)
    lang = translation.get_language() or settings.LANGUAGE_CODE
    url = request.build_absolute_uri(reverse(site.charter_url_name))

    def draw() -> tuple[bytes, str]:
        page = _page(site)
        return render_pdf(page, controller=site.charter.controller.name, url=url), page.pdf_filename

    body, filename = site.pdf(lang, url, draw)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in (request.headers.get("If-None-Match") or ""):
        response: HttpResponse = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename={filename}"
    response["ETag"] = etag
    return response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    if _wants_json(request):
        return _own(JsonResponse({"error": reason}, status=400))
    return _own(HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8"))


def _on_this_site(request: HttpRequest, url: str) -> bool:
    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())


@require_safe
def preferences_view(request: HttpRequest) -> HttpResponse:
    """``GET preferences/?next=PAGE``: the preferences dialog alone (closed), with the visitor's
    current choices and a CSRF token, which the page script fetches when a visitor opens the
    preferences. ``next`` is the page the dialog is opened on, where a choice posted without
    JavaScript returns; one that is not a page of this site is refused (400)."""
    site = site_for(request)
    target = request.GET.get("next") or "/"
    if not _on_this_site(request, target):
        return _bad_request(request, "next: not a page of this site.")
    if not site.charter.needs_consent:
        raise Http404("No purpose of the charter needs consent: there are no preferences to set.")
    ui = ui_for(request, site)
    return _own(
        HttpResponse(
            ui.preferences.fill(ui.values(request, request.consent, next_url=target)),
            content_type="text/html; charset=utf-8",
        )
    )


@require_POST
def consent_view(request: HttpRequest) -> HttpResponse:
    """The endpoint. CSRF-checked here too when the site runs without ``CsrfViewMiddleware``; when
    the middleware has already accepted the request, its check is not paid twice."""
    if getattr(request, "csrf_processing_done", False):
        return _choose(request)
    return _choose_csrf_protected(request)


def _choose(request: HttpRequest) -> HttpResponse:
    site = site_for(request)
    try:
        granted = choices.granted_by(site, request, request.POST.get("choice", ""), request.POST.getlist("purpose"))
    except choices.InvalidChoice as exc:
        return _bad_request(request, str(exc))
    target = request.POST.get("next") or ""
    target = target if target and _on_this_site(request, target) else "/"
    try:
        consent, method = choices.record(site, request, request.POST["choice"], granted)
    except ledger.ProofUnavailable:
        return _unavailable(request, target)
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
        response = HttpResponseRedirect(target, status=303)
    site.set_consent_cookie(response, consent)
    return _own(response)


def _unavailable(request: HttpRequest, target: str) -> HttpResponse:
    """503 for a choice that grants something the ledger cannot prove now: nothing is set, the
    visitor is told in their language, and asked to try again later (``Retry-After``)."""
    message = gettext(
        "Your choice could not be saved: the site cannot record consents right now, so nothing optional "
        "has been switched on. Please try again in a minute."
    )
    if _wants_json(request):
        response: HttpResponse = JsonResponse({"error": message, "retry_after": RETRY_AFTER}, status=503)
    else:
        response = render(
            request,
            "cookiecharter/unavailable.html",
            {
                "next": target,
                "retry_minutes": max(1, RETRY_AFTER // 60),
                "base_template": registry.settings().base_template,
            },
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER)
    return _own(response)


_choose_csrf_protected = csrf_protect(_choose)
#: The middleware does not bring an account's choice into a request that posts a new one.
consent_view.cookiecharter_choice = True


@require_safe
def adpc_view(request: HttpRequest) -> HttpResponse:
    """``GET adpc.json``: the consent requests resource of the ADPC draft, in the page's language:
    ``{"consentRequests": {identifier: text}}`` for each purpose the charter gives an identifier.
    The same for every visitor, so a shared cache may keep it."""
    site = site_for(request)
    if not site.publishes_adpc:
        raise Http404("This site publishes no ADPC consent requests (no purpose has an adpc identifier).")
    charter = site.charter
    lang = site.language(translation.get_language())
    requests = {
        p.adpc: f"{p.text('title', lang)}: {p.text('description', lang)}" for p in charter.consent_purposes if p.adpc
    }
    response = JsonResponse({"consentRequests": requests}, json_dumps_params={"ensure_ascii": False})
    response["Content-Language"] = lang
    response["Cache-Control"] = "public, max-age=3600"
    return response
