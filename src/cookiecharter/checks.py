"""System checks (ids ``cookiecharter.E0xx`` / ``W0xx`` / ``E1xx`` / ``W1xx``), registered from ``apps.ready``.

Ids are stable: documented in ``docs/checks.md``, silenced with ``SILENCED_SYSTEM_CHECKS``. Every
check of a charter runs for each configured site; a message about one site of several names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import to_locale

from .conf import Settings, SiteSettings, read_settings
from .core.catalogue import available_languages
from .core.charter import Charter, MatchKind
from .core.framework_cookies import DEFAULT_NAMES, KINDS, declare_framework_cookies
from .core.lifetime import Lifetime
from .core.loading import CharterError, cookie_name_problem, load_charter
from .sites import framework_cookies

TAG = "cookiecharter"
MIDDLEWARE_PATH = "cookiecharter.middleware.CookieCharterMiddleware"

#: The setting that decides each framework cookie's lifetime, for messages.
_AGE_SETTING = {
    "messages": "the cookie_name of MESSAGE_STORAGE",
    "session": "SESSION_COOKIE_AGE",
    "csrf": "CSRF_COOKIE_AGE",
    "language": "LANGUAGE_COOKIE_AGE",
    "consent": 'COOKIECHARTER["CONSENT_COOKIE_AGE"]',
}
_NAME_SETTING = {
    "messages": "the cookie_name of MESSAGE_STORAGE",
    "session": "SESSION_COOKIE_NAME",
    "csrf": "CSRF_COOKIE_NAME",
    "language": "LANGUAGE_COOKIE_NAME",
    "consent": 'COOKIECHARTER["CONSENT_COOKIE_NAME"]',
}
_KIND_LABEL = {
    "session": "session",
    "csrf": "CSRF",
    "language": "language",
    "consent": "consent",
    "messages": "messages",
}

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


def _settings() -> Settings | None:
    try:
        return read_settings(getattr(settings, "COOKIECHARTER", None))
    except ImproperlyConfigured:
        return None


def _of_site(site: SiteSettings, count: int) -> str:
    """How a message names the site it is about, when there are several."""
    return f'Site "{site.name}": ' if count > 1 else ""


# -- the settings and each site's charter ----------------------------------------------------------


@register(TAG)
def check_charter(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E001 the settings; per site: E002-E003 the file and its validity, then what needs a valid charter."""
    try:
        config = read_settings(getattr(settings, "COOKIECHARTER", None))
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint='The settings are one dict, e.g. COOKIECHARTER = {"CHARTER": BASE_DIR / "charter.toml"}; '
                "docs/settings.md lists every key.",
                id="cookiecharter.E001",
            )
        ]
    found: list[CheckMessage] = []
    for site in config.sites:
        found += _check_site(site, len(config.sites))
    return found


def _check_site(site: SiteSettings, count: int) -> list[CheckMessage]:
    of = _of_site(site, count)
    path = site.charter
    try:
        declared = load_charter(path)
    except OSError as exc:
        return [
            Error(
                f"{of}the charter file {path} cannot be read: {exc.strerror or exc}.",
                hint='Check COOKIECHARTER["CHARTER"] (an absolute path is safest) and the file\'s permissions; '
                "`python manage.py cookiecharter_init` writes a first charter from your settings.",
                obj=path,
                id="cookiecharter.E002",
            )
        ]
    except CharterError as exc:
        n = len(exc.problems)
        listing = "\n".join(f"  {problem}" for problem in exc.problems)
        return [
            Error(
                f"{of}the charter {path} is invalid ({n} problem{'s' if n != 1 else ''}):\n{listing}",
                hint=f"Fix each line listed; `cookiecharter validate {path}` checks the file on its own.",
                obj=path,
                id="cookiecharter.E003",
            )
        ]
    full = declare_framework_cookies(declared, framework_cookies(site))
    return _check_framework_cookies(declared, site, of) + _check_languages(declared, of) + _check_patterns(full, of)


def _check_framework_cookies(charter: Charter, site: SiteSettings, of: str) -> list[CheckMessage]:
    """E004 lifetimes that contradict the settings; W001 stale default names; W004 cookies never set."""
    expected = framework_cookies(site).expected()
    found: list[CheckMessage] = []
    obj = str(charter.source or site.charter)
    for kind in KINDS:
        label = _KIND_LABEL[kind]
        default = DEFAULT_NAMES[kind]
        if kind in expected:
            name, lifetime = expected[kind]
            declared = charter.match(name)
            if declared is not None and not _same_lifetime(declared.lifetime, lifetime):
                setting = _AGE_SETTING[kind]
                if kind == "session" and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE:
                    setting = "SESSION_EXPIRE_AT_BROWSER_CLOSE"
                spelled = "session" if lifetime.is_session else str(lifetime)
                found.append(
                    Error(
                        f"{of}the charter declares the {label} cookie {name!r} with a lifetime of "
                        f"{_lifetime_text(declared.lifetime)}, but {setting} makes it "
                        f"{_lifetime_text(lifetime)}{_where(declared)}.",
                        hint=f'Write lifetime = "{spelled}" in the charter, or remove the entry: Django\'s own '
                        "cookies are declared from the settings when the charter leaves them out.",
                        obj=obj,
                        id="cookiecharter.E004",
                    )
                )
            stale = charter.match(default) if name != default else None
            if stale is not None and stale.name.kind is MatchKind.EXACT and stale.name.value == default:
                found.append(
                    Warning(
                        f"{of}the charter declares {default!r}, Django's default {label} cookie name, but "
                        f"{_NAME_SETTING[kind]} is {name!r}: the page lists a cookie the site never sets"
                        f"{_where(stale)}.",
                        hint=f"Rename the entry to {name!r}, or remove it (it is then declared from the settings).",
                        obj=obj,
                        id="cookiecharter.W001",
                    )
                )
        else:
            # The framework sets no such cookie here (no middleware, CSRF_USE_SESSIONS, USE_I18N=False).
            name = default if kind in ("consent", "messages") else getattr(settings, _NAME_SETTING[kind], default)
            declared = charter.match(name)
            if declared is not None and declared.name.kind is MatchKind.EXACT and declared.name.value == name:
                reason = {
                    "messages": "MessageMiddleware is not in MIDDLEWARE or MESSAGE_STORAGE keeps no cookie",
                    "session": "no SessionMiddleware is in MIDDLEWARE",
                    "csrf": "CSRF_USE_SESSIONS is True or CsrfViewMiddleware is not in MIDDLEWARE",
                    "language": "USE_I18N is False",
                }.get(kind, "")
                found.append(
                    Warning(
                        f"{of}the charter declares the {label} cookie {name!r}, which this site never sets: {reason}"
                        f"{_where(declared)}.",
                        hint="Remove the entry, so the page does not list a cookie the site does not set.",
                        obj=obj,
                        id="cookiecharter.W004",
                    )
                )
    return found


def _check_languages(charter: Charter, of: str) -> list[CheckMessage]:
    """W002 charter languages the site does not serve; W003 site languages the charter lacks (one
    warning for all of them); W005 no catalogue."""
    if not settings.USE_I18N:
        return []
    site = [code.lower() for code, _name in settings.LANGUAGES]
    found: list[CheckMessage] = []
    for lang in charter.languages:
        if lang.lower() not in site:
            found.append(
                Warning(
                    f"{of}the charter has texts in {lang!r} but LANGUAGES does not list it: no page in that "
                    "language will be served.",
                    hint=f"Add {lang!r} to LANGUAGES, or drop that language from the charter's [charter] languages.",
                    id="cookiecharter.W002",
                )
            )
    lacking = [lang for lang in site if lang not in (c.lower() for c in charter.languages)]
    if lacking:
        shown = ", ".join(repr(lang) for lang in lacking[:8]) + (
            f" and {len(lacking) - 8} more" if len(lacking) > 8 else ""
        )
        found.append(
            Warning(
                f"{of}LANGUAGES lists {len(lacking)} language{'s' if len(lacking) != 1 else ''} the charter has no "
                f"texts in ({shown}): pages in {'them' if len(lacking) != 1 else 'it'} show the charter's texts in "
                f"{charter.languages[0]!r}.",
                hint="Set LANGUAGES to the languages the site really serves (Django's default lists nearly 100), "
                f"e.g. LANGUAGES = [{', '.join(repr((c, c)) for c in charter.languages)}], or add the languages "
                "to the charter with their titles and descriptions.",
                id="cookiecharter.W003",
            )
        )
    shipped = set(available_languages())
    for lang in charter.languages:
        if lang.lower() not in shipped and lang.split("-")[0].lower() not in shipped and not _site_catalogue(lang):
            found.append(
                Warning(
                    f"{of}cookiecharter ships no translation for {lang!r}: the page's general texts (what a cookie "
                    "is, the column headings) will be in English there.",
                    hint="Translate the package's catalogue into this language in your LOCALE_PATHS "
                    f"(shipped: {', '.join(sorted(shipped))}).",
                    id="cookiecharter.W005",
                )
            )
    return found


def _site_catalogue(lang: str) -> bool:
    """Whether the site's LOCALE_PATHS hold a compiled catalogue for ``lang`` (or its base language)."""
    locales = {to_locale(lang), to_locale(lang.split("-")[0])}
    return any(
        (Path(folder) / locale / "LC_MESSAGES" / "django.mo").is_file()
        for folder in getattr(settings, "LOCALE_PATHS", ())
        for locale in locales
    )


def _check_patterns(charter: Charter, of: str) -> list[CheckMessage]:
    """E101: a declaration (from the file or from the settings) that no valid cookie name can match.

    The loader holds a file's declarations to this rule already; the settings' own cookie names
    have not been through it, so the loader's own question is asked again of the whole charter.
    """
    found: list[CheckMessage] = []
    for cookie in charter.cookies:
        why = cookie_name_problem(cookie.name)
        if why:
            found.append(
                Error(
                    f"{of}the charter declaration `{cookie.name.display}`{_where(cookie)} can never match a valid "
                    f"cookie name: {why}.",
                    hint='A cookie name is visible ASCII without separators ( ) < > @ , ; : \\ " / [ ] ? = { } '
                    "space tab (RFC 6265). Fix the charter entry, or the setting that names this cookie.",
                    obj=str(cookie.name.display),
                    id="cookiecharter.E101",
                )
            )
    return found


# -- which site a request gets ---------------------------------------------------------------------


@register(TAG)
def check_hosts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E006 a SITE_ID that cannot be read; W007 a site host Django refuses; W008 hosts no site serves."""
    from django.apps import apps

    config = _settings()
    if config is None:
        return []
    found: list[CheckMessage] = []
    allowed = [h.lower() for h in settings.ALLOWED_HOSTS]
    for site in config.sites:
        if site.site_id is not None and not apps.is_installed("django.contrib.sites"):
            found.append(
                Error(
                    f'Site "{site.name}" names SITE_ID {site.site_id}, but django.contrib.sites is not installed.',
                    hint='Add "django.contrib.sites" to INSTALLED_APPS, or give the site its "HOSTS".',
                    id="cookiecharter.E006",
                )
            )
        for host in site.hosts:
            if allowed and not _host_allowed(host, allowed):
                found.append(
                    Warning(
                        f'Site "{site.name}" serves {host!r}, which ALLOWED_HOSTS does not list: Django refuses '
                        "every request for it (400).",
                        hint=f"Add {host!r} to ALLOWED_HOSTS.",
                        id="cookiecharter.W007",
                    )
                )
    if config.default is None:
        claimed = [h for s in config.sites for h in s.hosts]
        orphans = [h for h in allowed if h != "*" and not _host_allowed(h, claimed)]
        if "*" in allowed or orphans:
            which = ", ".join(repr(h) for h in orphans) or 'ALLOWED_HOSTS has "*"'
            found.append(
                Warning(
                    'No default site (no top-level COOKIECHARTER["CHARTER"]): a request for a host no site '
                    f"serves is answered 404 ({which}).",
                    hint='Give each of those hosts a site in COOKIECHARTER["SITES"], remove them from '
                    "ALLOWED_HOSTS, or set a top-level CHARTER for every other host.",
                    id="cookiecharter.W008",
                )
            )
    return found


@register(TAG, "database")
def check_site_ids(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E006 (with ``--database``): a SITE_ID that names no django.contrib.sites Site."""
    from .sites import contrib_site_domains

    config = _settings()
    if config is None or not databases:
        return []
    wanted = [s.site_id for s in config.sites if s.site_id is not None]
    if not wanted:
        return []
    try:
        known = contrib_site_domains(wanted)
    except Exception:  # noqa: BLE001 - an unmigrated database is Django's to report
        return []
    return [
        Error(
            f'Site "{s.name}" names SITE_ID {s.site_id}, but no django.contrib.sites Site has that id.',
            hint="Create the Site in the admin (Sites), or correct SITE_ID.",
            id="cookiecharter.E006",
        )
        for s in config.sites
        if s.site_id is not None and s.site_id not in known
    ]


def _host_allowed(host: str, patterns: list[str]) -> bool:
    """Whether ``host`` matches one of ``patterns`` as ALLOWED_HOSTS matches (a leading dot: subdomains)."""
    from django.utils.http import is_same_domain

    return any(p == "*" or is_same_domain(host, p) for p in patterns)


# -- the wiring: templates, URLs, languages, settings the rules care about, extras ----------------


@register(TAG, "templates")
def check_templates(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E010: no Django template engine gives templates the request, which the consent tags need."""
    engines = [t for t in settings.TEMPLATES if t.get("BACKEND") == "django.template.backends.django.DjangoTemplates"]
    processor = "django.template.context_processors.request"
    if not engines or any(processor in (t.get("OPTIONS") or {}).get("context_processors", ()) for t in engines):
        return []
    return [
        Error(
            "No DjangoTemplates engine in TEMPLATES has the 'request' context processor: the cookiecharter tags "
            "(banner, preferences link, ifconsent) cannot find the request, so they fail when rendered.",
            hint=f'Add "{processor}" to TEMPLATES[0]["OPTIONS"]["context_processors"] (Django\'s startproject '
            "template has it).",
            id="cookiecharter.E010",
        )
    ]


@register(TAG, "urls")
def check_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E011: the package's URLs are not included; W012: they are language-prefixed without LocaleMiddleware."""
    from django.urls import NoReverseMatch, reverse
    from django.utils import translation

    config = _settings()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            reverse("cookiecharter:consent")
            home = reverse(config.charter_url_name if config else "cookiecharter:charter")
    except NoReverseMatch:
        return [
            Error(
                "The cookiecharter URLs are not in the URLconf: every page with the banner fails (NoReverseMatch) "
                "and there is no charter page.",
                hint="In urls.py: from django.conf.urls.i18n import i18n_patterns; from django.urls import include, "
                'path; urlpatterns += i18n_patterns(path("cookies/", include("cookiecharter.urls")))',
                id="cookiecharter.E011",
            )
        ]
    except Exception:  # noqa: BLE001 - a broken URLconf is Django's own check's to report
        return []
    other = next((code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE), None)
    middleware = [str(m) for m in getattr(settings, "MIDDLEWARE", None) or ()]
    if other is None or any(m.endswith("LocaleMiddleware") for m in middleware):
        return []
    with translation.override(other):
        elsewhere = reverse(config.charter_url_name if config else "cookiecharter:charter")
    if elsewhere == home:
        return []
    return [
        Warning(
            f"The charter page is at {home} and {elsewhere} (language-prefixed URLs), but LocaleMiddleware is "
            f"not in MIDDLEWARE: every page in another language than {settings.LANGUAGE_CODE!r} answers 404.",
            hint='Add "django.middleware.locale.LocaleMiddleware" to MIDDLEWARE, after SessionMiddleware and '
            "before CommonMiddleware.",
            id="cookiecharter.W012",
        )
    ]


@register(TAG)
def check_consent_rules(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W013: a choice remembered longer than six months; W014: Global Privacy Control ignored."""
    from .core.consent import SIX_MONTHS

    config = _settings()
    if config is None:
        return []
    found: list[CheckMessage] = []
    for site in config.sites:
        of = _of_site(site, len(config.sites))
        age = site.consent_cookie.age
        if age > SIX_MONTHS:
            found.append(
                Warning(
                    f"{of}CONSENT_COOKIE_AGE is {age} s ({age / 86400:.0f} days): the CNIL recommends keeping a choice, "
                    "a refusal included, for six months, then asking again.",
                    hint=f"Set CONSENT_COOKIE_AGE to at most {SIX_MONTHS} (six months), or leave it out.",
                    id="cookiecharter.W013",
                )
            )
        if not site.withhold:
            found.append(
                Warning(
                    f"{of}WITHHOLD_COOKIES is False: a view still reads cookies of purposes the visitor refused or "
                    "withdrew (the CNIL has fined sites for reading cookies after a withdrawal).",
                    hint="Remove WITHHOLD_COOKIES = False.",
                    id="cookiecharter.W016",
                )
            )
        if not site.honour_gpc:
            found.append(
                Warning(
                    f"{of}HONOUR_GPC is False: a browser's Global Privacy Control signal (Sec-GPC: 1) is ignored, "
                    "though it is a refusal of advertising and of sharing with third parties.",
                    hint="Remove HONOUR_GPC = False; mark the purposes GPC refuses with refused_by_gpc = true in the charter.",
                    id="cookiecharter.W014",
                )
            )
        if not site.honour_adpc:
            found.append(
                Warning(
                    f"{of}HONOUR_ADPC is False: a withdrawal or an objection a browser sends in the ADPC header is "
                    "ignored, though it is the visitor's withdrawal.",
                    hint="Remove HONOUR_ADPC = False (a consent sent by the browser grants nothing unless the "
                    "charter opts a purpose in with adpc_consent = true).",
                    id="cookiecharter.W017",
                )
            )
        if site.follow_account:
            found += _check_follow_account(of)
    return found


def _check_follow_account(of: str) -> list[CheckMessage]:
    """E018: choices cannot follow an account the site cannot see (no authentication middleware)."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    if any(m == auth or m.endswith(".AuthenticationMiddleware") for m in middleware):
        return []
    return [
        Error(
            f"{of}FOLLOW_ACCOUNT is True but {auth} is not in MIDDLEWARE: no request has a signed-in user, so "
            "no choice can follow one.",
            hint=f'Add "{auth}" to MIDDLEWARE (after SessionMiddleware), or remove FOLLOW_ACCOUNT.',
            id="cookiecharter.E018",
        )
    ]


@register(TAG)
def check_extras(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W015: the charter page links its PDF, which needs the "pdf" extra (reportlab)."""
    try:
        import reportlab  # noqa: F401
    except ImportError:
        pass
    else:
        return []
    return [
        Warning(
            "The charter page links its PDF version, which needs reportlab: it is not installed, so the PDF "
            "link fails.",
            hint='pip install "cookiecharter[django,pdf]"',
            id="cookiecharter.W015",
        )
    ]


# -- the ledger -----------------------------------------------------------------------------------


@register(TAG)
def check_ledger(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W009: no folder outside the database for the witness and the records waiting for it."""
    config = _settings()
    if config is None or config.directory:
        return []
    return [
        Warning(
            "COOKIECHARTER has no LEDGER_DIRECTORY: the end of the ledger's chain has no witness outside the "
            "database (deleting the newest seal with its records would not show), and a refusal made while "
            "the database is down is kept in the log only.",
            hint='Set COOKIECHARTER["LEDGER_DIRECTORY"] to a folder the database cannot write, e.g. '
            'BASE_DIR / "ledger" (better: on another volume, or shipped to a log host); docs/ledger.md.',
            id="cookiecharter.W009",
        )
    ]


# -- the middleware -------------------------------------------------------------------------------


#: Middleware that may stand before ours: they set no cookie, and the per-site cache must see the
#: response after ours has added ``Vary: Cookie`` (Django's documentation puts it first).
SETS_NO_COOKIE = frozenset(
    {
        "django.middleware.cache.UpdateCacheMiddleware",
        "django.middleware.gzip.GZipMiddleware",
    }
)


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
    in_front = [m for m in middleware[:position] if m not in SETS_NO_COOKIE]
    if in_front:
        return [
            Warning(
                f"CookieCharterMiddleware is at position {position + 1} in MIDDLEWARE, after "
                f"{', '.join(in_front)}: cookies those set on the way out are never checked.",
                hint="Put it first, so it sees every cookie set by the views and by every other middleware.",
                id="cookiecharter.W102",
            )
        ]
    return []


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

    config = _settings()
    layout = (config.base_template if config else None) or "cookiecharter/base.html"
    try:
        engine = next(e.engine for e in engines.all() if isinstance(e, DjangoTemplates))
        rendered = _rendered_blocks(engine, layout)
        origin = str(engine.find_template(layout)[1].name)
    except Exception:  # noqa: BLE001 - a broken template is reported by Django itself when used
        if layout != "cookiecharter/base.html":
            return [
                Error(
                    f'COOKIECHARTER["BASE_TEMPLATE"] is {layout!r}, which cannot be loaded.',
                    hint="Name the site's own layout, as {% extends %} would.",
                    id="cookiecharter.E005",
                )
            ]
        return []
    if rendered is None:
        return []
    found: list[CheckMessage] = []
    if "content" not in rendered:
        found.append(
            Error(
                f"{origin} does not render a {{% block content %}}: the charter page would be empty.",
                hint="Put {% block content %}{% endblock %} where the page goes in that layout (or inside a block "
                'your own layout renders), or name another layout in COOKIECHARTER["BASE_TEMPLATE"] '
                "(docs/charter-page.md).",
                obj=origin,
                id="cookiecharter.E005",
            )
        )
    if "cookiecharter_head" not in rendered and layout == "cookiecharter/base.html":
        found.append(
            Warning(
                f"{origin} does not render a {{% block cookiecharter_head %}}: the charter page's <head> would not "
                "announce its PDF version.",
                hint="In your override of cookiecharter/base.html, put {% block cookiecharter_head %}{% endblock %} "
                "inside a block of your layout's <head>.",
                obj=origin,
                id="cookiecharter.W006",
            )
        )
    return found
