"""One Django installation serving two sites: the scan takes the one that serves the URL's host."""

from pathlib import Path

SITES_DIR = Path(__file__).parent / "sites"

SECRET_KEY = "tests-only"
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
USE_I18N = False
COOKIECHARTER = {
    "SITES": {
        "shop": {"CHARTER": str(SITES_DIR / "basic" / "charter.toml"), "HOSTS": ["localhost"]},
        "portal": {
            "CHARTER": str(SITES_DIR / "ours" / "charter-bare.toml"),
            "HOSTS": ["127.0.0.1"],
            "CONSENT_COOKIE_NAME": "fixture_consent",
        },
    },
}
