"""System checks (ids ``cookiecharter.E0xx`` / ``W0xx``), registered from ``apps.ready``.

Ids are stable: documented in ``docs/checks.md``, silenced with ``SILENCED_SYSTEM_CHECKS``.
E001-E009 / W001-W009 are about the charter and Django's own cookies (this module); E101 and
W101-W103, about the enforcement, are in ``enforcement_checks.py``.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .conf import config
from .core.catalogue import available_languages
from .core.charter import Charter, MatchKind
from .core.framework_cookies import DEFAULT_NAMES, KINDS
from .core.lifetime import Lifetime
from .core.loading import CharterError, load_charter

TAG = "cookiecharter"

#: The setting that decides each framework cookie's lifetime, for messages.
_AGE_SETTING = {
    "session": "SESSION_COOKIE_AGE",
    "csrf": "CSRF_COOKIE_AGE",
    "language": "LANGUAGE_COOKIE_AGE",
    "consent": 'COOKIECHARTER["CONSENT_COOKIE_AGE"]',
}
_NAME_SETTING = {
    "session": "SESSION_COOKIE_NAME",
    "csrf": "CSRF_COOKIE_NAME",
    "language": "LANGUAGE_COOKIE_NAME",
    "consent": 'COOKIECHARTER["CONSENT_COOKIE_NAME"]',
}
_KIND_LABEL = {"session": "session", "csrf": "CSRF", "language": "language", "consent": "consent"}


#: How far a declared lifetime may be from the settings' and still count as the same: calendar
#: units do not divide evenly ("1 year" is 365.25 days, LANGUAGE_COOKIE_AGE is often 365 days).
LIFETIME_TOLERANCE = 0.02


def _same_lifetime(declared: Lifetime, actual: Lifetime) -> bool:
    if declared.seconds is None or actual.seconds is None:
        return declared.seconds == actual.seconds
    return abs(declared.seconds - actual.seconds) <= LIFETIME_TOLERANCE * max(declared.seconds, actual.seconds)


def _lifetime_text(lifetime: Lifetime) -> str:
    return "session (until the browser closes)" if lifetime.is_session else str(lifetime)


def _where(cookie: Any) -> str:
    return f" ({cookie.source})" if getattr(cookie, "source", None) else ""


@register(TAG)
def check_charter(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E001-E003: the charter setting, the file, its validity. The rest needs a valid charter."""
    path = config()["CHARTER"]
    if not path:
        return [
            Error(
                'COOKIECHARTER["CHARTER"] is not set.',
                hint='Point it at the charter TOML file, e.g. COOKIECHARTER = {"CHARTER": BASE_DIR / "charter.toml"}.',
                id="cookiecharter.E001",
            )
        ]
    path = os.fspath(path)
    try:
        charter = load_charter(path)
    except OSError as exc:
        return [
            Error(
                f"The charter file {path} cannot be read: {exc.strerror or exc}.",
                hint='Check COOKIECHARTER["CHARTER"] (an absolute path is safest) and the file\'s permissions.',
                obj=path,
                id="cookiecharter.E002",
            )
        ]
    except CharterError as exc:
        count = len(exc.problems)
        listing = "\n".join(f"  {problem}" for problem in exc.problems)
        return [
            Error(
                f"The charter {path} is invalid ({count} problem{'s' if count != 1 else ''}):\n{listing}",
                hint=f"Fix each line listed; `cookiecharter validate {path}` checks the file on its own.",
                obj=path,
                id="cookiecharter.E003",
            )
        ]
    return _check_framework_cookies(charter) + _check_languages(charter)


def _check_framework_cookies(charter: Charter) -> list[CheckMessage]:
    """E004 lifetimes that contradict the settings; W001 stale default names; W004 cookies never set."""
    from .charter import framework_cookies  # needs settings; imported late like every check input

    framework = framework_cookies()
    expected = framework.expected()
    found: list[CheckMessage] = []
    for kind in KINDS:
        label = _KIND_LABEL[kind]
        if kind in expected:
            name, lifetime = expected[kind]
            declared = charter.match(name)
            if declared is not None and not _same_lifetime(declared.lifetime, lifetime):
                setting = _AGE_SETTING[kind]
                if kind == "session" and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE:
                    setting = "SESSION_EXPIRE_AT_BROWSER_CLOSE"
                found.append(
                    Error(
                        f"The charter declares the {label} cookie {name!r} with a lifetime of "
                        f"{_lifetime_text(declared.lifetime)}, but {setting} makes it "
                        f"{_lifetime_text(lifetime)}{_where(declared)}.",
                        hint=(
                            f'Write lifetime = "{lifetime}" in the charter, or remove the entry: Django\'s own '
                            "cookies are declared from the settings when the charter leaves them out."
                            if not lifetime.is_session
                            else 'Write lifetime = "session" in the charter, or remove the entry: Django\'s own '
                            "cookies are declared from the settings when the charter leaves them out."
                        ),
                        obj=str(charter.source or config()["CHARTER"]),
                        id="cookiecharter.E004",
                    )
                )
            default = DEFAULT_NAMES[kind]
            stale = charter.match(default) if name != default else None
            if stale is not None and stale.name.kind is MatchKind.EXACT and stale.name.value == default:
                found.append(
                    Warning(
                        f"The charter declares {default!r}, Django's default {label} cookie name, but "
                        f"{_NAME_SETTING[kind]} is {name!r}: the page lists a cookie the site never sets"
                        f"{_where(stale)}.",
                        hint=f"Rename the entry to {name!r}, or remove it (it is then declared from the settings).",
                        obj=str(charter.source or config()["CHARTER"]),
                        id="cookiecharter.W001",
                    )
                )
        else:
            # The framework sets no such cookie here (no middleware, CSRF_USE_SESSIONS, USE_I18N=False).
            default = DEFAULT_NAMES[kind]
            name = getattr(settings, _NAME_SETTING[kind], default) if kind != "consent" else default
            declared = charter.match(name)
            if declared is not None and declared.name.kind is MatchKind.EXACT and declared.name.value == name:
                reason = {
                    "session": "no SessionMiddleware is in MIDDLEWARE",
                    "csrf": "CSRF_USE_SESSIONS is True or CsrfViewMiddleware is not in MIDDLEWARE",
                    "language": "USE_I18N is False",
                }.get(kind, "")
                found.append(
                    Warning(
                        f"The charter declares the {label} cookie {name!r}, which this site never sets: {reason}"
                        f"{_where(declared)}.",
                        hint="Remove the entry, so the page does not list a cookie the site does not set.",
                        obj=str(charter.source or config()["CHARTER"]),
                        id="cookiecharter.W004",
                    )
                )
    return found


def _check_languages(charter: Charter) -> list[CheckMessage]:
    """W002 charter languages the site does not serve; W003 site languages the charter lacks; W005 no catalogue."""
    if not settings.USE_I18N:
        return []
    site = [code.lower() for code, _name in settings.LANGUAGES]
    found: list[CheckMessage] = []
    for lang in charter.languages:
        if lang.lower() not in site:
            found.append(
                Warning(
                    f"The charter has texts in {lang!r} but LANGUAGES does not list it: no page in that language "
                    "will be served.",
                    hint=f"Add {lang!r} to LANGUAGES, or drop that language from the charter's [charter] languages.",
                    id="cookiecharter.W002",
                )
            )
    for lang in site:
        if lang not in (l.lower() for l in charter.languages):
            found.append(
                Warning(
                    f"LANGUAGES lists {lang!r} but the charter has no texts in it: the page in {lang!r} shows the "
                    f"charter's texts in {charter.languages[0]!r}.",
                    hint=f"Add {lang!r} to the charter's languages with its titles and descriptions, or remove it "
                    "from LANGUAGES.",
                    id="cookiecharter.W003",
                )
            )
    shipped = set(available_languages())
    for lang in charter.languages:
        if lang.lower() not in shipped and lang.split("-")[0].lower() not in shipped:
            found.append(
                Warning(
                    f"cookiecharter ships no translation for {lang!r}: the page's general texts (what a cookie is, "
                    "the column headings) will be in English there.",
                    hint="Translate the package's catalogue into this language in your LOCALE_PATHS "
                    f"(shipped: {', '.join(sorted(shipped))}).",
                    id="cookiecharter.W005",
                )
            )
    return found


# The enforcement checks (E1xx / W1xx) live beside the middleware; importing registers them.
from . import enforcement_checks  # noqa: E402,F401


# -- the site's layout -----------------------------------------------------------------------------
def _rendered_blocks(engine: Any, name: str) -> set[str] | None:
    """Names of the blocks a child of template ``name`` can fill, following its ``extends`` chain.

    A block counts when the root layout has it, or when it sits inside a block its parent renders
    (a site override nests ``content`` in its own ``main`` block, say). None when the chain cannot
    be followed without a request (``{% extends some_variable %}``).
    """
    from django.template.loader_tags import BlockNode, ExtendsNode

    chain = []
    template, _origin = engine.find_template(name)
    skip = []
    for _ in range(20):  # a chain deeper than this is a loop
        chain.append(template)
        extends = template.nodelist.get_nodes_by_type(ExtendsNode)
        if not extends:
            break
        parent = extends[0].parent_name
        if parent.filters or not isinstance(parent.var, str):
            return None
        # Skipping the origins seen so far lets an override extend the template it overrides.
        skip.append(template.origin)
        template, _origin = engine.find_template(str(parent.var), skip=skip)
    else:
        return None
    rendered = {block.name for block in chain[-1].nodelist.get_nodes_by_type(BlockNode)}
    for child in reversed(chain[:-1]):
        (extends,) = child.nodelist.get_nodes_by_type(ExtendsNode)[:1]
        for block_name, block in extends.blocks.items():
            if block_name in rendered:
                rendered |= {inner.name for inner in block.nodelist.get_nodes_by_type(BlockNode)}
    return rendered


@register(TAG, "templates")
def check_layout(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E005 / W006: a site's override of ``cookiecharter/base.html`` must render the page's blocks."""
    from django.template import engines
    from django.template.backends.django import DjangoTemplates

    try:
        engine = next(e.engine for e in engines.all() if isinstance(e, DjangoTemplates))
        rendered = _rendered_blocks(engine, "cookiecharter/base.html")
        origin = str(engine.find_template("cookiecharter/base.html")[1].name)
    except Exception:  # noqa: BLE001 - a broken template is reported by Django itself when used
        return []
    if rendered is None:
        return []
    found: list[CheckMessage] = []
    if "content" not in rendered:
        found.append(
            Error(
                f"{origin} does not render a {{% block content %}}: the charter page would be empty.",
                hint="In your override of cookiecharter/base.html, put {% block content %}{% endblock %} inside "
                "a block your own layout renders (see docs/charter-page.md).",
                obj=origin,
                id="cookiecharter.E005",
            )
        )
    if "cookiecharter_head" not in rendered:
        found.append(
            Warning(
                f"{origin} does not render a {{% block cookiecharter_head %}}: the charter page would have no "
                "stylesheet.",
                hint="In your override of cookiecharter/base.html, put {% block cookiecharter_head %}{% endblock %} "
                "inside a block of your layout's <head>.",
                obj=origin,
                id="cookiecharter.W006",
            )
        )
    return found
