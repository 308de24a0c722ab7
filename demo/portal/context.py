"""Template context every page of the portal needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {"widget_origin": settings.DEMO_WIDGET_ORIGIN}
