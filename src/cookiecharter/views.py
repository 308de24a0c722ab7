"""The charter page and its PDF, in the request's language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def charter_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("charter page: being built", content_type="text/plain; charset=utf-8")


def charter_pdf(request: HttpRequest) -> HttpResponse:
    return HttpResponse("charter PDF: being built", content_type="text/plain; charset=utf-8")
