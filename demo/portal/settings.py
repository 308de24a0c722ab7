"""Settings of the demo portal, an open-data platform modelled on the seed's.

Environment variables (the browser tests use them to run several portals side by side):
- ``COOKIECHARTER_CHARTER``: the main portal's charter file (default: ``demo/charter.toml``);
- ``DEMO_SISTER_HOST``: the host name of the sister portal (default ``sainte-victoire.localhost``,
  which browsers resolve to this machine without any set-up), served by the same installation
  with its own charter, ``demo/charter-sister.toml``;
- ``DEMO_DATABASE``: an SQLite file path (default ``demo/db.sqlite3``) or a ``postgres://`` URL;
- ``DEMO_WIDGET_ORIGIN``: where the third-party map widget is served (default http://localhost:8001);
- ``DEMO_LEDGER_DIRECTORY``: the ledger's folder outside the database (default ``demo/ledger``);
- ``DEMO_DEBUG``: "1" for Django's debug mode (the default for ``make demo``), "0" otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext_lazy as _

PORTAL_DIR = Path(__file__).resolve().parent
DEMO_DIR = PORTAL_DIR.parent
DATA_DIR = DEMO_DIR / "data"

# A demo: the key is public on purpose, and the portal only ever listens on the loopback address.
SECRET_KEY = os.environ.get("DEMO_SECRET_KEY", "demo-only-insecure-key-4f9c2b7e1d0a6385c2e7f1b9a4d8")
DEBUG = os.environ.get("DEMO_DEBUG", "1") == "1"
# The platform's two portals: the main one on the loopback address, the sister on a name of its own.
SISTER_HOST = os.environ.get("DEMO_SISTER_HOST", "sainte-victoire.localhost")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", SISTER_HOST]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "portal",
    "cookiecharter",
]

# Flash messages (the admin's "saved" notices) kept in the session, not in a `messages` cookie:
# the seed's charter declares exactly four cookies, and the enforcement would block a fifth.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

MIDDLEWARE = [
    # First, so it is the last to see each response and so sees every cookie set on it.
    "cookiecharter.middleware.CookieCharterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context.portal",
            ]
        },
    }
]


def _database(value: str) -> dict:
    """One ``DATABASES`` entry from an SQLite path or a ``postgres://user:pass@host:port/name`` URL."""
    if value.startswith(("postgres://", "postgresql://")):
        url = urlsplit(value)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(url.path.lstrip("/")) or "postgres",
            "USER": unquote(url.username or ""),
            "PASSWORD": unquote(url.password or ""),
            "HOST": url.hostname or "",
            "PORT": str(url.port or ""),
        }
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": value}


DATABASES = {"default": _database(os.environ.get("DEMO_DATABASE") or str(DEMO_DIR / "db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# French first, as the seed's platform: "/" redirects to "/fr/".
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PORTAL_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# Django's own cookies keep their default names and lifetimes: the charter declares exactly those
# (sessionid 2 weeks, csrftoken 52 weeks, django_language for the browser session).

STATIC_URL = "/static/"
STATIC_ROOT = DEMO_DIR / "static-collected"

# One installation, two portals (docs/sites.md): every host but the sister's gets the main portal's
# charter; the sister portal has the seed's four cookies and shows no banner. One database and one
# back office for both (the compliance overview switches between them).
COOKIECHARTER = {
    "CHARTER": os.environ.get("COOKIECHARTER_CHARTER") or str(DEMO_DIR / "charter.toml"),
    # The charter page in the portal's own layout (header, navigation, footer): base.html's content block.
    "BASE_TEMPLATE": "base.html",
    # Outside the database: the witness of the ledger's seals, and the proof of refusals made while
    # the database does not answer (docs/ledger.md).
    "LEDGER_DIRECTORY": os.environ.get("DEMO_LEDGER_DIRECTORY") or str(DEMO_DIR / "ledger"),
    # Signed in as the demo user, a choice made on one browser follows to the others (docs/accounts.md).
    "FOLLOW_ACCOUNT": True,
    "SITES": {
        "sainte-victoire": {"HOSTS": [SISTER_HOST], "CHARTER": str(DEMO_DIR / "charter-sister.toml")},
    },
}

# The third-party map widget: another origin (another host name), so the browser treats it as a
# third party and its cookie as a third-party cookie.
DEMO_WIDGET_ORIGIN = os.environ.get("DEMO_WIDGET_ORIGIN", "http://localhost:8001").rstrip("/")

# Server errors go to the console whatever DEBUG says, so the browser tests can show them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "cookiecharter": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
