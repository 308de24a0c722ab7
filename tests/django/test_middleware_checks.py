"""The enforcement's system checks: middleware missing or misplaced, unmatchable declarations."""

from __future__ import annotations

from dataclasses import replace

from django.core.checks import run_checks

from cookiecharter.checks import MIDDLEWARE_PATH
from cookiecharter.core.charter import CookieName
from cookiecharter.core.loading import cookie_name_problem
from cookiecharter.sites import registry

BASE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]


def ids(settings) -> list[str]:
    return [
        m.id for m in run_checks(tags=["cookiecharter"]) if m.id.startswith(("cookiecharter.E1", "cookiecharter.W1"))
    ]


def test_missing_middleware_warns_with_hint(settings):
    settings.MIDDLEWARE = BASE
    (message,) = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.W101"]
    assert "first entry of MIDDLEWARE" in message.hint


def test_middleware_not_first_warns(settings):
    settings.MIDDLEWARE = [BASE[0], MIDDLEWARE_PATH, *BASE[1:]]
    (message,) = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.W102"]
    assert "SecurityMiddleware" in message.msg and "Put it first" in message.hint


def test_middleware_first_is_quiet(settings):
    settings.MIDDLEWARE = [MIDDLEWARE_PATH, *BASE]
    assert ids(settings) == []


def test_a_cookie_name_setting_no_browser_accepts_is_an_error(settings):
    settings.MIDDLEWARE = [MIDDLEWARE_PATH, *BASE]
    settings.SESSION_COOKIE_NAME = "my session"
    messages = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.E101"]
    assert len(messages) == 1 and "' '" in messages[0].msg


def unmatchable(charter):
    return [(c, why) for c in charter.cookies if (why := cookie_name_problem(c.name))]


def test_unmatchable_patterns_in_a_charter_built_in_code():
    charter = registry.get("default").charter
    first = charter.cookies[0]
    broken = charter.with_cookies(
        [
            replace(first, name=CookieName.from_declaration(regex="a b+")),
            replace(first, name=CookieName.from_declaration(regex="(?:)")),
            replace(first, name=CookieName.from_declaration("x;y*")),
            replace(first, name=CookieName.from_declaration(regex="[a-z]+_[0-9]{2}")),  # fine
        ]
    )
    found = [(c.name.display, why) for c, why in unmatchable(broken)]
    assert [name for name, _ in found] == ["a b+", "(?:)", "x;y*"]
    assert unmatchable(charter) == []


def test_a_flash_message_cookie_is_declared_from_the_settings(settings):
    from cookiecharter.sites import registry

    settings.MIDDLEWARE = [MIDDLEWARE_PATH, *BASE, "django.contrib.messages.middleware.MessageMiddleware"]
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.fallback.FallbackStorage"
    declared = registry.get("default").charter.match("messages")
    assert declared is not None and declared.lifetime.is_session
    assert declared.service["en"] == "Notices after an action (whole site)"
    assert ids(settings) == []
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    assert registry.get("default").charter.match("messages") is None


def test_the_per_site_cache_may_stand_in_front(settings):
    # Django's documentation puts UpdateCacheMiddleware first; it sets no cookie, so nothing escapes.
    settings.MIDDLEWARE = [
        "django.middleware.cache.UpdateCacheMiddleware",
        MIDDLEWARE_PATH,
        *BASE,
        "django.middleware.cache.FetchFromCacheMiddleware",
    ]
    assert "cookiecharter.W102" not in ids(settings)
    settings.MIDDLEWARE = ["django.middleware.cache.UpdateCacheMiddleware", BASE[0], MIDDLEWARE_PATH, *BASE[1:]]
    (message,) = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.W102"]
    assert "SecurityMiddleware" in message.msg and "UpdateCacheMiddleware" not in message.msg
