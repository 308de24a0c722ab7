"""The "cookiecharter-2sites" variant: the same page, served by an installation of two sites.

Its middleware reads its sites from a registry of its own, configured as a platform hosting two
portals: the seed's charter as the default site, and the benchmark's host names served by a second
site with the demo charter (the one every other cookiecharter variant uses). So its page is the very
page of the "cookiecharter" variant, found through a look-up by host name.
"""

from __future__ import annotations

from cookiecharter.middleware import CookieCharterMiddleware
from cookiecharter.sites import SiteRegistry

from .settings import ROOT

SITES = {
    "CHARTER": str(ROOT / "demo" / "charter-seed.toml"),
    "UNDECLARED": "block",
    "SITES": {
        "city": {
            "HOSTS": ["testserver", "127.0.0.1", "localhost"],
            "CHARTER": str(ROOT / "demo" / "charter.toml"),
        },
    },
}


class TwoSitesMiddleware(CookieCharterMiddleware):
    registry = SiteRegistry(lambda: SITES)
