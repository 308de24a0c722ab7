"""Template context every page of the portal needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from cookiecharter.charter import get_charter


def portal(request: HttpRequest) -> dict:
    return {
        "widget_origin": settings.DEMO_WIDGET_ORIGIN,
        # The portal runs on either charter (demo/charter.toml or the seed's, which asks no consent):
        # templates offer a consent-dependent feature only when its purpose is in the charter.
        "consent_purposes": frozenset(p.key for p in get_charter().consent_purposes),
    }
