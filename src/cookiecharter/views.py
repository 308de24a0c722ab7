"""The charter page and its PDF, in the request's language (``/<lang>/cookies/`` and ``.../pdf/``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from .charter import get_charter
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


@require_safe
def charter_pdf(request: HttpRequest) -> HttpResponse:
    from .pdf import render_pdf  # reportlab is an extra ("pdf"): import it only when asked

    page = _page(request)
    charter = get_charter()
    body = render_pdf(
        page,
        controller=charter.controller.name,
        url=request.build_absolute_uri(reverse("cookiecharter:charter")),
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename={page.pdf_filename}"
    return response
