"""Settings for bench_decisions.py: the consent endpoint beside a bare insert view, one site.

``BENCH_DB`` is an SQLite file path, or ``postgresql:NAME`` for a database on the local server.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SECRET_KEY = "bench-only-not-secret-3f9a1c7e5b2d4068"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_I18N = True
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "cookiecharter",
    "decisions_site",
]

# The demo portal's stack: both views pay for the same middleware (CSRF included).
MIDDLEWARE = [
    "cookiecharter.middleware.CookieCharterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "decisions_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        # The request context processor is what the consent tags need (check E010), as on any site.
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

_db = os.environ.get("BENCH_DB", "/tmp/cookiecharter-bench-decisions.sqlite3")
if _db.startswith("postgresql:"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("COOKIECHARTER_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("COOKIECHARTER_PG_PORT", "5432"),
            "USER": os.environ.get("COOKIECHARTER_PG_USER", "postgres"),
            "NAME": _db.split(":", 1)[1],
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _db}}

COOKIECHARTER = {"CHARTER": str(ROOT / "demo" / "charter.toml"), "UNDECLARED": "block"}
if os.environ.get("BENCH_LEDGER_DIRECTORY"):  # bench_faults.py: the witness and the pending records
    COOKIECHARTER["LEDGER_DIRECTORY"] = os.environ["BENCH_LEDGER_DIRECTORY"]
