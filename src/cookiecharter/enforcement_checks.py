"""System checks of the enforcement (ids ``cookiecharter.E1xx`` / ``W1xx``).

Registered from ``checks.py`` so they run whether or not the middleware is installed (one of
them is about it being missing).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .core.charter import Charter, MatchKind

TAG = "cookiecharter"
MIDDLEWARE_PATH = "cookiecharter.middleware.CookieCharterMiddleware"

#: RFC 6265 4.1.1: a cookie name is a token: visible ASCII except the separators.
_SEPARATORS = frozenset('()<>@,;:\\"/[]?={} \t')
TOKEN_CHARS = frozenset(c for c in map(chr, range(33, 127)) if c not in _SEPARATORS)


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
    """Declarations no valid cookie name can fall under, each with the reason."""
    found = []
    for cookie in charter.cookies:
        kind, value = cookie.name.kind, cookie.name.value
        if kind is MatchKind.REGEX:
            why = _regex_problem(value)
        elif kind is MatchKind.EXACT and not value:
            why = "it is empty"
        else:
            bad = sorted({c for c in value if c not in TOKEN_CHARS})
            why = f"it contains {', '.join(repr(c) for c in bad)}" if bad else None
        if why:
            found.append((cookie, why))
    return found


def _regex_problem(pattern: str) -> str | None:
    # The loader proves it for patterns read from a file; a charter built in code (with_cookies)
    # has not been through it, so ask the same question here.
    try:
        from .core.loading import _satisfiable, _sre_parse  # the loader's own proof, not a copy
    except ImportError:  # pragma: no cover - the loader's internals moved: skip rather than guess
        return None
    try:
        parsed = _sre_parse.parse(pattern)
    except Exception as exc:  # noqa: BLE001 - re.error and the parser's other complaints
        return f"it is not a valid regular expression ({exc})"
    if parsed.getwidth()[1] == 0:
        return "it only matches the empty name"
    if not _satisfiable(parsed):
        return "every name it matches contains a character a cookie name cannot have"
    return None


def _where(cookie: Any) -> str:
    return f" ({cookie.source})" if getattr(cookie, "source", None) else ""
