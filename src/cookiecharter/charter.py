"""The site's charter, as the Django layer sees it: the declared file plus Django's own cookies.

``get_charter()`` loads ``COOKIECHARTER["CHARTER"]`` once per process and keeps it until a relevant
setting changes (``conf.on_clear``: so ``override_settings`` in tests sees new lifetimes). Under
``DEBUG`` it also reloads when the file's modification time changes, so editing the charter shows on
the next request without a restart.

Django sets up to three cookies by itself (session, CSRF, language), and this package sets the
consent cookie. Their names and lifetimes come from ``settings``; ``framework_cookies()`` maps those
settings onto the Django-free ``FrameworkCookies`` and the core declares whichever the charter does
not declare itself, so the page tells the truth about them even after a settings change.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from .conf import config, debug, on_clear
from .core.charter import Charter
from .core.framework_cookies import FrameworkCookies, declare_framework_cookies
from .core.loading import load_charter

__all__ = ["charter_path", "framework_cookies", "get_charter", "get_declared_charter"]

_lock = threading.Lock()
# (path, mtime or None, declared charter, charter with Django's cookies)
_cache: tuple[str, int | None, Charter, Charter] | None = None
# Outside DEBUG, the charter with Django's cookies once loaded: kept until a setting changes, and
# returned without looking at the settings or the file again (every page asks, several times).
_kept: Charter | None = None


def charter_path() -> str:
    path = config()["CHARTER"]
    if not path:
        raise ImproperlyConfigured(
            'COOKIECHARTER["CHARTER"] is not set: point it at the charter TOML file (see cookiecharter.E001).'
        )
    return os.fspath(path)


def _uses_middleware(suffix: str) -> bool:
    return any(str(m).rsplit(".", 1)[-1] == suffix for m in getattr(settings, "MIDDLEWARE", None) or ())


def framework_cookies() -> FrameworkCookies:
    """Django's settings as plain values: which of its cookies the site sets, named how, kept how long."""
    cfg = config()
    session_name = settings.SESSION_COOKIE_NAME if _uses_middleware("SessionMiddleware") else None
    session_age = None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE
    # With CSRF_USE_SESSIONS the token lives in the session: no CSRF cookie at all.
    csrf_name = (
        settings.CSRF_COOKIE_NAME
        if _uses_middleware("CsrfViewMiddleware") and not settings.CSRF_USE_SESSIONS
        else None
    )
    # The language cookie is set by django.views.i18n.set_language; any i18n site may route to it.
    language_name = settings.LANGUAGE_COOKIE_NAME if settings.USE_I18N else None
    return FrameworkCookies(
        session_name=session_name,
        session_age=session_age,
        csrf_name=csrf_name,
        csrf_age=settings.CSRF_COOKIE_AGE,
        language_name=language_name,
        language_age=settings.LANGUAGE_COOKIE_AGE,
        consent_name=cfg["CONSENT_COOKIE_NAME"],
        consent_age=cfg["CONSENT_COOKIE_AGE"],
    )


def _django_translate(message: str, language: str) -> str:
    # Django's machinery, not the bare catalogue: a site may override these strings in LOCALE_PATHS.
    with translation.override(language):
        return translation.gettext(message)


def _current_mtime(path: str) -> int | None:
    if not debug():
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _load() -> tuple[Charter, Charter]:
    global _cache
    path = charter_path()
    mtime = _current_mtime(path)
    cached = _cache
    if cached is not None and cached[0] == path and cached[1] == mtime:
        return cached[2], cached[3]
    with _lock:
        cached = _cache
        if cached is not None and cached[0] == path and cached[1] == mtime:
            return cached[2], cached[3]
        declared = load_charter(path)
        full = declare_framework_cookies(declared, framework_cookies(), _django_translate)
        _cache = (path, mtime, declared, full)
        return declared, full


def _keep(full: Charter) -> Charter:
    global _kept
    if not debug():
        _kept = full
    return full


def get_charter() -> Charter:
    """The charter with Django's own cookies and the consent cookie declared (what the site sets).

    Raises ``ImproperlyConfigured`` when the setting is missing, ``OSError`` when the file cannot be
    read and ``CharterError`` (with ``.problems``) when it is invalid; the system checks report the
    same three cases at start-up with ids E001-E003.
    """
    kept = _kept
    if kept is not None:
        return kept
    return _keep(_load()[1])


def get_declared_charter() -> Charter:
    """The charter exactly as the file declares it (for checks comparing it with the settings)."""
    return _load()[0]


@on_clear
def clear_charter_cache(*_: Any) -> None:
    global _cache, _kept
    _cache = None
    _kept = None
