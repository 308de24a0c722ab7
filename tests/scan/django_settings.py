"""Settings of a Django site that serves tests/scan/sites/ours (as far as a scan needs to know).

The charter file leaves out the CSRF and consent cookies, as a site relying on cookiecharter's
Django layer may: the layer declares them from these settings, under these names.
"""

from pathlib import Path

SECRET_KEY = "tests-only"
MIDDLEWARE = [
    "django.middleware.csrf.CsrfViewMiddleware",
]
USE_I18N = False
COOKIECHARTER = {
    "CHARTER": str(Path(__file__).parent / "sites" / "ours" / "charter-bare.toml"),
    # The fixture's stand-in consent manager names its cookie so.
    "CONSENT_COOKIE_NAME": "fixture_consent",
}
