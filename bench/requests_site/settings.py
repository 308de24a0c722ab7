"""Settings of the benchmark site; the variant comes from the environment (see __init__)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from . import pages

ROOT = Path(__file__).resolve().parents[2]
VARIANT = os.environ.get("BENCH_VARIANT", "bare")
#: The variants compared; "all" is one process holding every variant's apps and URLs, where the
#: in-process measurement builds one handler per variant and alternates between them request by
#: request (bench_requests.py), so that the machine's drift falls on all of them alike.
VARIANTS = (
    "bare",
    "cookiecharter-mw",
    "cookiecharter",
    "cookiecharter-2sites",
    "cookiecharter-accounts",
    "cookie-consent",
)
if VARIANT not in (*VARIANTS, "all"):
    raise SystemExit(f"BENCH_VARIANT must be one of {', '.join(VARIANTS)} or all, not {VARIANT!r}")
#: The page template of each variant (pages.py): "cookiecharter-mw" is the bare page with only the
#: middleware added, to tell the enforcement's cost from the banner's.
TEMPLATE_BY_VARIANT = {v: pages.template_name(v) for v in VARIANTS}
PAGE_TEMPLATE = TEMPLATE_BY_VARIANT.get(VARIANT, TEMPLATE_BY_VARIANT["bare"])
#: Every variant's layout and page, by name, served by the locmem loader below; a bench script may
#: add its own variants here before Django loads a template.
TEMPLATE_SOURCES = pages.templates_for(pages.SNIPPETS)

SECRET_KEY = "bench-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "requests_site.urls"
WSGI_APPLICATION = "requests_site.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "requests_site",
]
_BASE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
MIDDLEWARE_BY_VARIANT = {
    "bare": _BASE_MIDDLEWARE,
    # First, as its documentation asks, so it sees every cookie.
    "cookiecharter-mw": ["cookiecharter.middleware.CookieCharterMiddleware", *_BASE_MIDDLEWARE],
    "cookiecharter": ["cookiecharter.middleware.CookieCharterMiddleware", *_BASE_MIDDLEWARE],
    # The same, in an installation of two sites (two_sites.py): the request's site found by host.
    "cookiecharter-2sites": ["requests_site.two_sites.TwoSitesMiddleware", *_BASE_MIDDLEWARE],
    # The same with FOLLOW_ACCOUNT on (accounts.py), for signed-out visitors.
    "cookiecharter-accounts": ["requests_site.accounts.FollowAccountMiddleware", *_BASE_MIDDLEWARE],
    # As its documentation shows: added to MIDDLEWARE (it deletes declined cookies on the way out).
    "cookie-consent": [*_BASE_MIDDLEWARE, "cookie_consent.middleware.CleanCookiesMiddleware"],
}
MIDDLEWARE = MIDDLEWARE_BY_VARIANT.get(VARIANT, _BASE_MIDDLEWARE)
if VARIANT.startswith("cookiecharter") or VARIANT == "all":
    INSTALLED_APPS.append("cookiecharter")
if VARIANT == "cookie-consent" or (VARIANT == "all" and importlib.util.find_spec("cookie_consent")):
    INSTALLED_APPS.append("cookie_consent")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            # Cached, as Django's default loaders are outside DEBUG; the pages first, then the apps'.
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        ("django.template.loaders.locmem.Loader", TEMPLATE_SOURCES),
                        "django.template.loaders.app_directories.Loader",
                    ],
                ),
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

_db_dir = Path(os.environ.get("BENCH_DB_DIR", "/tmp"))
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # One file for every variant: the in-process worker ("all") migrates it with every app and
        # creates django-cookie-consent's cookie group; the servers, one variant each, then read it.
        "NAME": str(_db_dir / "bench.sqlite3"),
    }
}
# The session lives in a signed cookie: a returning visitor's session is read on every request
# without a database round trip, whose disk-bound jitter would drown the differences measured here.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
# django-cookie-consent keeps its cookie groups in Django's cache: the default local-memory one.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
USE_I18N = True
STATIC_URL = "/static/"

COOKIECHARTER = {"CHARTER": str(ROOT / "demo" / "charter.toml"), "UNDECLARED": "block"}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
