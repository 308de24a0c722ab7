"""The ``COOKIECHARTER`` settings dict, merged over documented defaults.

The merged config is cached and cleared on ``setting_changed``, so ``override_settings`` works in
tests. Every other module reads settings through ``config()``; nothing reads ``settings.COOKIECHARTER``
directly.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

#: Six months, CNIL's recommended lifetime for a remembered choice (consent and refusal alike).
SIX_MONTHS = 15_778_800

DEFAULTS: dict[str, Any] = {
    # Path to the charter TOML file: the single source of truth. Required.
    "CHARTER": None,
    # The consent cookie.
    "CONSENT_COOKIE_NAME": "cookies_preferences",
    "CONSENT_COOKIE_AGE": SIX_MONTHS,
    "CONSENT_COOKIE_DOMAIN": None,
    "CONSENT_COOKIE_PATH": "/",
    "CONSENT_COOKIE_SAMESITE": "Lax",
    "CONSENT_COOKIE_SECURE": False,
    # What to do with a cookie the charter does not declare: "block", "report" or "raise".
    # None means "raise" under DEBUG and "block" otherwise.
    "UNDECLARED": None,
    # Proof ledger: how long decision records are kept (days), and how many records one seal covers.
    "LEDGER_RETENTION_DAYS": 5 * 366,
    "LEDGER_SEAL_BATCH": 1000,
    # Database alias the ledger writes to.
    "LEDGER_DATABASE": "default",
    # URL name of the charter page (the banner and the footer link point at it).
    "CHARTER_URL_NAME": "cookiecharter:charter",
    # Honour the Global Privacy Control signal (Sec-GPC: 1) as a refusal of the purposes the charter
    # marks ``refused_by_gpc``.
    "HONOUR_GPC": True,
}


@lru_cache(maxsize=None)
def config() -> dict[str, Any]:
    user = getattr(settings, "COOKIECHARTER", {}) or {}
    merged = dict(DEFAULTS)
    merged.update(user)
    return merged


@lru_cache(maxsize=None)
def debug() -> bool:
    """``settings.DEBUG``, read once and kept until a setting changes.

    Every attribute read on ``django.conf.settings`` runs ``LazyObject.__getattribute__`` (about
    half a microsecond), and the hot paths ask this on every request. ``override_settings`` clears
    it like every other cached setting; an assignment to ``settings.DEBUG`` sends no signal, which
    is why Django's test runners make theirs before any request.
    """
    return bool(settings.DEBUG)


def clear_caches() -> None:
    """Forget everything derived from settings (called on ``setting_changed``)."""
    config.cache_clear()
    debug.cache_clear()
    for clear in _clearers:
        clear()


_clearers: list = []


def on_clear(func):
    """Register a cache-clearing function run whenever a relevant setting changes."""
    _clearers.append(func)
    return func


_WATCHED = {
    "COOKIECHARTER",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "DEBUG",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_AGE",
    "CSRF_USE_SESSIONS",
    "LANGUAGE_COOKIE_NAME",
    "LANGUAGE_COOKIE_AGE",
    "LANGUAGES",
    # Which of Django's cookies the site sets at all (cookiecharter.charter.framework_cookies).
    "MIDDLEWARE",
    "USE_I18N",
    # What the consent tags' cached markup holds: URLs reversed and static files' addresses.
    "ROOT_URLCONF",
    "FORCE_SCRIPT_NAME",
    "STATIC_URL",
    "STORAGES",
}


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _WATCHED:
        clear_caches()


def connect_signals() -> None:
    setting_changed.connect(_setting_changed, dispatch_uid="cookiecharter.conf")
