"""The "cookiecharter-accounts" variant: the "cookiecharter" page with FOLLOW_ACCOUNT on.

Its middleware reads a registry of its own, the benchmark's settings plus ``FOLLOW_ACCOUNT``, so the
two variants differ in that setting only. Its visitors are signed out, as most of a portal's are:
what the setting must not slow down (issue 16).
"""

from __future__ import annotations

from django.conf import settings

from cookiecharter.middleware import CookieCharterMiddleware
from cookiecharter.sites import SiteRegistry


class FollowAccountMiddleware(CookieCharterMiddleware):
    registry = SiteRegistry(lambda: {**settings.COOKIECHARTER, "FOLLOW_ACCOUNT": True})
