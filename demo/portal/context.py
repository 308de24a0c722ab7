"""Template context every page of the portal needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from cookiecharter.sites import site_for


def portal(request: HttpRequest) -> dict:
    site = site_for(request)
    return {
        "widget_origin": settings.DEMO_WIDGET_ORIGIN,
        # The platform's portals run on different charters (demo/charter.toml, or the seed's, which
        # asks no consent): templates offer a consent-dependent feature only when its purpose is in
        # the portal's charter, and name the portal after its charter's controller.
        "consent_purposes": frozenset(p.key for p in site.charter.consent_purposes),
        "portal_name": site.label,
    }
