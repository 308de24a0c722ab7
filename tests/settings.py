"""Django settings for the Django-level tests (the browser tests run the demo portal instead)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SECRET_KEY = "tests-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Europe/Paris"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Installed so that a site can be named by a django.contrib.sites Site (SITE_ID in a SITES entry).
    "django.contrib.sites",
    "cookiecharter",
]
# The sites framework's own notion of "the current site", which Django's views ask for; a
# cookiecharter site is found by the request's host whatever this says.
SITE_ID = 1

MIDDLEWARE = [
    "cookiecharter.middleware.CookieCharterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# Flash messages in the session (the charter then has no "messages" cookie to declare).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT / "tests" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# A real SQLite file (not :memory:), so the ledger is tested the way it runs.
_db_dir = Path(os.environ.get("COOKIECHARTER_TEST_DB_DIR") or tempfile.mkdtemp(prefix="cookiecharter-tests-"))
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(_db_dir / "tests.sqlite3"),
        "TEST": {"NAME": str(_db_dir / "tests.sqlite3")},
    }
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
USE_I18N = True
STATIC_URL = "/static/"

COOKIECHARTER = {"CHARTER": str(ROOT / "demo" / "charter.toml"), "LEDGER_DIRECTORY": str(_db_dir / "ledger")}
