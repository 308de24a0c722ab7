"""System checks of the enforcement (ids ``cookiecharter.E1xx`` / ``W1xx``).

Registered from ``checks.py`` so they run whether or not the middleware is installed (one of
them is about it being missing).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .core.charter import Charter
from .core.loading import cookie_name_problem

TAG = "cookiecharter"
MIDDLEWARE_PATH = "cookiecharter.middleware.CookieCharterMiddleware"

@register(TAG)
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W101: the middleware is missing; W102: it is not first, so it misses cookies set after it."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE_PATH not in middleware:
        return [
            Warning(
                "CookieCharterMiddleware is not in MIDDLEWARE: no cookie the site sets is checked against "
                "the charter, and request.consent is not set.",
                hint=f'Add "{MIDDLEWARE_PATH}" as the first entry of MIDDLEWARE.',
                id="cookiecharter.W101",
            )
        ]
    position = middleware.index(MIDDLEWARE_PATH)
    if position != 0:
        before = middleware[:position]
        return [
            Warning(
                f"CookieCharterMiddleware is at position {position + 1} in MIDDLEWARE, after "
                f"{', '.join(before)}: cookies those set on the way out are never checked.",
                hint="Put it first, so it sees every cookie set by the views and by every other middleware.",
                id="cookiecharter.W102",
            )
        ]
    return []


#: Django's message storages that write a cookie (FallbackStorage tries the cookie first).
_COOKIE_MESSAGE_STORAGES = {
    "django.contrib.messages.storage.cookie.CookieStorage",
    "django.contrib.messages.storage.fallback.FallbackStorage",
}


@register(TAG)
def check_message_cookie(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W103: Django's messages framework will set a cookie the charter does not declare."""
    if "django.contrib.messages.middleware.MessageMiddleware" not in (getattr(settings, "MIDDLEWARE", None) or []):
        return []
    storage = getattr(settings, "MESSAGE_STORAGE", "django.contrib.messages.storage.fallback.FallbackStorage")
    if storage not in _COOKIE_MESSAGE_STORAGES:
        return []
    try:
        from .charter import get_charter

        charter = get_charter()
    except Exception:  # noqa: BLE001 - E001-E003 report an unreadable or invalid charter
        return []
    name = getattr(settings, "MESSAGE_COOKIE_NAME", "messages")
    if charter.declares(name):
        return []
    return [
        Warning(
            f"MESSAGE_STORAGE ({storage.rsplit('.', 1)[-1]}) keeps flash messages in a cookie named "
            f"{name!r} that the charter does not declare: the enforcement blocks it (and raises under "
            "DEBUG), so messages such as the admin's \"saved\" notices are lost.",
            hint='Set MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage", or declare '
            f"the {name!r} cookie in the charter (strictly necessary, session).",
            id="cookiecharter.W103",
        )
    ]


@register(TAG)
def check_patterns(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E101: a declaration (from the file or from the settings) that no valid cookie name can match."""
    try:
        from .charter import get_charter

        charter = get_charter()
    except Exception:  # noqa: BLE001 - an unreadable or invalid charter is E001-E003's to report
        return []
    return [
        Error(
            f"The charter declaration `{cookie.name.display}`{_where(cookie)} can never match a valid cookie "
            f"name: {why}.",
            hint="A cookie name is visible ASCII without separators ( ) < > @ , ; : \\ \" / [ ] ? = { } space "
            "tab (RFC 6265). Fix the charter entry, or the setting that names this cookie.",
            obj=str(cookie.name.display),
            id="cookiecharter.E101",
        )
        for cookie, why in unmatchable(charter)
    ]


def unmatchable(charter: Charter) -> list[tuple[Any, str]]:
    """Declarations no valid cookie name can fall under, each with the reason.

    The loader holds a file's declarations to these rules already; a charter built in code
    (``with_cookies``, the settings' own cookie names) has not been through it, so ask the loader's
    own question again here rather than a copy of it.
    """
    found = []
    for cookie in charter.cookies:
        why = cookie_name_problem(cookie.name)
        if why:
            found.append((cookie, why))
    return found


def _where(cookie: Any) -> str:
    return f" ({cookie.source})" if getattr(cookie, "source", None) else ""
