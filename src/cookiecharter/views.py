"""The charter page and its PDF, in the request's language (``/<lang>/cookies/`` and ``.../pdf/``)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from .charter import get_charter
from .conf import on_clear
from .page import Page, build_page


def _page(request: HttpRequest) -> Page:
    lang = translation.get_language() or settings.LANGUAGE_CODE
    # django.utils.translation is the translator: the page's strings go through Django's catalogues
    # (the package's .mo, plus any override in the site's LOCALE_PATHS).
    return build_page(get_charter(), lang, translation)


@require_safe
def charter_page(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    context = {
        "page": page,
        "charter": get_charter(),
        "pdf_url": reverse("cookiecharter:charter-pdf"),
    }
    return render(request, "cookiecharter/charter_page.html", context)


#: Rendered PDFs by (charter digest, language, page address). Drawing one takes some 200 ms (see
#: docs/benchmarks.md) and the output is byte-stable, so it is drawn once per process and charter.
_pdf_cache: dict[tuple[str, str, str], tuple[bytes, str]] = {}
_PDF_CACHE_SIZE = 32


@on_clear
def _clear_pdf_cache() -> None:
    _pdf_cache.clear()


@require_safe
def charter_pdf(request: HttpRequest) -> HttpResponse:
    from .page.pdf import render_pdf  # reportlab is an extra ("pdf"): import it only when asked

    charter = get_charter()
    lang = translation.get_language() or settings.LANGUAGE_CODE
    url = request.build_absolute_uri(reverse("cookiecharter:charter"))
    key = (charter.digest, lang, url)
    cached = _pdf_cache.get(key)
    if cached is None:
        page = _page(request)
        body = render_pdf(page, controller=charter.controller.name, url=url)
        if len(_pdf_cache) >= _PDF_CACHE_SIZE:
            _pdf_cache.clear()  # a handful of languages and hosts: dropping all now and then is enough
        cached = _pdf_cache[key] = (body, page.pdf_filename)
    body, filename = cached
    etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
    if etag in (request.headers.get("If-None-Match") or ""):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename={filename}"
    response["ETag"] = etag
    return response
