"""One object per site, and the registry that finds a request's site.

A site is a host name (or several) with its own charter file. Everything the settings and that
file imply is built once into a :class:`Site`: the charter with Django's own cookies declared, the
enforcement (compiled filter, consent codec, policy), the consent UI per language, the PDF. The
:class:`SiteRegistry` builds each site on first use, maps a request's host to it, and forgets
everything when a setting changes (or, under ``DEBUG``, rebuilds a site whose charter file was
edited). Nothing else in the package keeps state derived from the settings or the charter.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase
from django.http.request import split_domain_port
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property

from .conf import DEFAULT_SITE, Settings, SiteSettings, read_settings
from .core.charter import Charter
from .core.consent import Consent, ConsentCodec
from .core.filter import Policy, Undeclared
from .core.framework_cookies import FrameworkCookies, declare_framework_cookies
from .core.headers import Enforcer
from .core.loading import CharterError, load_charter

if TYPE_CHECKING:
    from .consent_ui import ConsentUI

log = logging.getLogger("cookiecharter.sites")

#: Salts keep the cookie key and the ledger key apart from each other and from Django's own uses.
CONSENT_SALT = "cookiecharter.consent"
LEDGER_SALT = "cookiecharter.ledger"


def derive_key(salt: str, secret: str | bytes) -> bytes:
    """A 32-byte key for ``salt`` from one Django secret (HMAC-SHA256, as ``salted_hmac`` does)."""
    return salted_hmac(salt, "cookiecharter-key", secret=secret, algorithm="sha256").digest()


def consent_key(secret: str | bytes) -> bytes:
    """The consent cookie's signing key from a Django ``SECRET_KEY``: what to give the ASGI/WSGI
    adapters of a site whose choices a Django consent endpoint records."""
    return derive_key(CONSENT_SALT, secret)


def derived_keys(salt: str) -> list[bytes]:
    """The key from ``SECRET_KEY`` first, then one per ``SECRET_KEY_FALLBACKS`` entry (read-only use)."""
    secrets = [django_settings.SECRET_KEY, *getattr(django_settings, "SECRET_KEY_FALLBACKS", [])]
    return [derive_key(salt, s) for s in secrets]


def _uses_middleware(suffix: str) -> bool:
    return any(str(m).rsplit(".", 1)[-1] == suffix for m in getattr(django_settings, "MIDDLEWARE", None) or ())


def framework_cookies(site: SiteSettings) -> FrameworkCookies:
    """Django's settings as plain values: which of its cookies the site sets, named how, kept how long."""
    s = django_settings
    # With CSRF_USE_SESSIONS the token lives in the session: no CSRF cookie at all.
    csrf = _uses_middleware("CsrfViewMiddleware") and not s.CSRF_USE_SESSIONS
    return FrameworkCookies(
        session_name=s.SESSION_COOKIE_NAME if _uses_middleware("SessionMiddleware") else None,
        session_age=None if s.SESSION_EXPIRE_AT_BROWSER_CLOSE else s.SESSION_COOKIE_AGE,
        csrf_name=s.CSRF_COOKIE_NAME if csrf else None,
        csrf_age=s.CSRF_COOKIE_AGE,
        # The language cookie is set by django.views.i18n.set_language; any i18n site may route to it.
        language_name=s.LANGUAGE_COOKIE_NAME if s.USE_I18N else None,
        language_age=s.LANGUAGE_COOKIE_AGE,
        consent_name=site.consent_cookie.name,
        consent_age=site.consent_cookie.age,
        messages_name=_message_cookie(),
    )


#: Django's message storages that write a cookie (FallbackStorage tries the cookie first).
_COOKIE_MESSAGE_STORAGES = {
    "django.contrib.messages.storage.cookie.CookieStorage",
    "django.contrib.messages.storage.fallback.FallbackStorage",
}


def _message_cookie() -> str | None:
    """The name of the cookie Django's messages framework keeps flash messages in, if it does."""
    default = "django.contrib.messages.storage.fallback.FallbackStorage"
    if (
        not _uses_middleware("MessageMiddleware")
        or getattr(django_settings, "MESSAGE_STORAGE", default) not in _COOKIE_MESSAGE_STORAGES
    ):
        return None
    from django.contrib.messages.storage.cookie import CookieStorage

    return str(CookieStorage.cookie_name)


def django_translate(message: str, language: str) -> str:
    # Django's machinery, not the bare catalogue: a site may override these strings in LOCALE_PATHS.
    with translation.override(language):
        return translation.gettext(message)


class Site:
    """Everything one site's settings and charter file imply, built once.

    ``declared_charter`` is the file as written; ``charter`` adds Django's own cookies and the
    consent cookie, named and timed as the settings say (what the site really sets). The renderings
    (consent UI, PDF) are made on first use and kept here, except under ``DEBUG``,
    where template edits must show on the next request.
    """

    def __init__(self, config: SiteSettings, *, debug: bool, charter_url_name: str = "cookiecharter:charter") -> None:
        self.name = config.name
        self.config = config
        self.debug = debug
        #: URL name of the charter page (the banner and the footer link point at it).
        self.charter_url_name = charter_url_name
        self.charter_mtime = _mtime(config.charter)
        self.declared_charter = load_charter(config.charter)
        self.charter: Charter = declare_framework_cookies(
            self.declared_charter, framework_cookies(config), django_translate
        )
        undeclared = config.undeclared or (Undeclared.RAISE if debug else Undeclared.BLOCK)
        current, *fallbacks = derived_keys(CONSENT_SALT)
        self.enforcer = Enforcer(
            self.charter,
            ConsentCodec(current, fallbacks),
            Policy(consent_cookie_name=config.consent_cookie.name, undeclared=undeclared),
            config.consent_cookie.age,
            policy_hint=f'set COOKIECHARTER{self._settings_key}["UNDECLARED"] to "block" or "report"',
            strict=debug,
        )
        #: The ledger's HMAC keys: the current one first, then those of SECRET_KEY_FALLBACKS.
        self.ledger_keys = tuple(derived_keys(LEDGER_SALT))
        self._kept: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Site {self.name!r} {self.config.charter}>"

    @property
    def _settings_key(self) -> str:
        return "" if self.name == DEFAULT_SITE else f'["SITES"]["{self.name}"]'

    @property
    def label(self) -> str:
        """How people know the site: its controller's name, as the charter gives it."""
        return self.charter.controller.name

    # -- consent ---------------------------------------------------------------------------------
    def read_consent(self, request: HttpRequest) -> Consent:
        """The verified choice the request's consent cookie carries (or ``Consent.undecided()``)."""
        return self.enforcer.consent_of(request.COOKIES)

    def set_consent_cookie(self, response: HttpResponseBase, consent: Consent) -> None:
        """Write the signed cookie: the same lifetime for a refusal as for a consent; readable by the
        page script (not HttpOnly), which needs the granted purposes to start scripts."""
        cookie = self.config.consent_cookie
        response.set_cookie(
            cookie.name,
            self.enforcer.codec.encode(consent),
            max_age=cookie.age,
            domain=cookie.domain,
            path=cookie.path,
            secure=cookie.secure,
            httponly=False,
            samesite=cookie.samesite,
        )

    def language(self, active: str | None) -> str:
        """The charter's language for Django's active one (its first language when it lacks it)."""
        lang = (active or "").split("-")[0].lower()
        if lang in self.charter.languages or not self.charter.languages:
            return lang or "en"
        return self.charter.languages[0]

    # -- what is rendered from it ------------------------------------------------------------------
    def _keep(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        if self.debug:
            return build()
        found = self._kept.get(key)
        if found is None:
            with self._lock:
                found = self._kept.get(key)
                if found is None:
                    found = self._kept[key] = build()
        return found

    def consent_ui(self, active_language: str | None, urlconf: Any, script_prefix: str) -> ConsentUI:
        """The banner, preferences and page-script configuration for Django's active language,
        rendered once.

        Kept per (active language, URLconf, script prefix), the three things that change the
        addresses of the consent endpoint and the charter page the markup holds, and its
        Django strings. (The charter's texts follow ``language(active)``.)
        """
        from .consent_ui import ConsentUI

        return self._keep(
            ("ui", active_language, urlconf, script_prefix), lambda: ConsentUI(self, self.language(active_language))
        )

    @cached_property
    def publishes_adpc(self) -> bool:
        """Whether the site honours ADPC and its charter gives a purpose an ADPC identifier."""
        return self.config.honour_adpc and any(p.adpc for p in self.charter.consent_purposes)

    def pdf(self, language: str, url: str, build: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
        """The charter's PDF (body, file name) in a language: drawing one takes some 200 ms
        (docs/benchmarks.md) and the output depends only on the charter, language and address."""
        return self._keep(("pdf", language, url), build)


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class SiteRegistry:
    """The sites of the installation: built from the settings on first use, found by host.

    ``source`` gives the ``COOKIECHARTER`` dict to read (``settings.COOKIECHARTER`` by default);
    the installation has one registry, ``registry``, and a middleware may be given another.
    """

    def __init__(self, source: Callable[[], Mapping[str, Any] | None] | None = None) -> None:
        self._source = source or (lambda: getattr(django_settings, "COOKIECHARTER", None))
        self._lock = threading.RLock()
        self._settings: Settings | None = None
        self._sites: dict[str, Site] = {}
        self._hosts: dict[str, str] | None = None
        self._debug = False

    # -- settings --------------------------------------------------------------------------------
    def settings(self) -> Settings:
        """``COOKIECHARTER`` read and checked (``ImproperlyConfigured`` names what is wrong)."""
        found = self._settings
        if found is None:
            with self._lock:
                if self._settings is None:
                    self._settings = read_settings(self._source())
                    self._debug = bool(django_settings.DEBUG)
                found = self._settings
        return found

    def clear(self) -> None:
        """Forget every site (a setting changed, or a django.contrib.sites Site did)."""
        with self._lock:
            self._settings = None
            self._sites = {}
            self._hosts = None

    # -- sites -----------------------------------------------------------------------------------
    def get(self, name: str) -> Site:
        """The site called ``name`` (``KeyError`` for a name the settings do not configure).

        Under ``DEBUG`` a site whose charter file changed is built again; if the new file does not
        load, the site goes on with the charter it had (the error is logged, and the compliance
        overview shows the file's problems), rather than failing every page of the site.
        """
        site = self._sites.get(name)
        if site is not None and not (self._debug and site.charter_mtime != _mtime(site.config.charter)):
            return site
        config = self.settings().site(name)
        with self._lock:
            site = self._sites.get(name)
            if site is None or (self._debug and site.charter_mtime != _mtime(config.charter)):
                try:
                    built = Site(config, debug=self._debug, charter_url_name=self.settings().charter_url_name)
                except (CharterError, OSError):
                    if site is None:
                        raise
                    log.exception(
                        "cookiecharter: the charter of site %r no longer loads; still serving the "
                        "version loaded before",
                        name,
                    )
                    site.charter_mtime = _mtime(config.charter)  # say it once per edit, not per request
                    return site
                site = built
                self._sites = {**self._sites, name: site}
            return site

    def names(self) -> list[str]:
        return [s.name for s in self.settings().sites]

    def for_host(self, host: str) -> Site | None:
        """The site serving ``host`` (no port), the default site for a host no site claims, or
        None when there is no default site either."""
        hosts = self._hosts
        if hosts is None:
            hosts = self._host_map()
        host = host.lower().rstrip(".")
        name = hosts.get(host)
        if name is None:
            # A leading dot claims every subdomain, as in ALLOWED_HOSTS.
            name = next(
                (
                    n
                    for pattern, n in hosts.items()
                    if pattern[0] == "." and (host.endswith(pattern) or host == pattern[1:])
                ),
                None,
            )
        if name is None:
            default = self.settings().default
            if default is None:
                return None
            name = default.name
        return self.get(name)

    def for_request(self, request: HttpRequest) -> Site | None:
        """The request's site (see ``for_host``). A lone default site needs no look at the host."""
        sites = self.settings().sites
        if len(sites) == 1 and sites[0].name == DEFAULT_SITE:
            return self.get(DEFAULT_SITE)
        host = request.get_host()  # checked against ALLOWED_HOSTS
        # Most hosts come without a port; for_host lower-cases and drops a trailing dot itself.
        return self.for_host(split_domain_port(host)[0] if ":" in host else host)

    def _host_map(self) -> dict[str, str]:
        with self._lock:
            if self._hosts is None:
                hosts: dict[str, str] = {}
                for site in self.settings().sites:
                    for host in site.hosts:
                        hosts[host] = site.name
                    if site.site_id is not None:
                        for domain in contrib_site_domains([site.site_id]).values():
                            hosts.setdefault(domain, site.name)
                self._hosts = hosts
            return self._hosts


def contrib_site_domains(ids: list[int]) -> dict[int, str]:
    """``{id: host}`` of django.contrib.sites ``Site`` rows (the domain, without a port)."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.sites"):
        return {}
    from django.contrib.sites.models import Site as ContribSite

    return {
        pk: split_domain_port(domain)[0] or domain.lower()
        for pk, domain in ContribSite.objects.filter(pk__in=ids).values_list("pk", "domain")
    }


#: The installation's sites: the one place that keeps what the settings and charters imply.
registry = SiteRegistry()


def site_for(request: HttpRequest) -> Site:
    """The request's site, as the middleware found it.

    Raises ``ImproperlyConfigured`` naming the fix when the middleware did not see the request:
    without it nothing is enforced, so a banner or a charter page must not pretend otherwise.
    """
    site = getattr(request, "cookiecharter_site", None)
    if site is None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "This request did not go through CookieCharterMiddleware, so it has no cookie charter site and "
            'no consent: add "cookiecharter.middleware.CookieCharterMiddleware" as the first entry of '
            "MIDDLEWARE (see cookiecharter.W101)."
        )
    return site


#: Settings whose change changes what a site object holds.
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
    "MIDDLEWARE",
    "USE_I18N",
    "ROOT_URLCONF",
    "FORCE_SCRIPT_NAME",
    "STATIC_URL",
    "STORAGES",
    "TEMPLATES",
    "MESSAGE_STORAGE",
}


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _WATCHED:
        registry.clear()


def _contrib_site_changed(**kwargs: Any) -> None:
    registry.clear()


def connect_signals() -> None:
    """Called from the app's ``ready()``."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    setting_changed.connect(_setting_changed, dispatch_uid="cookiecharter.sites.settings")
    if apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import Site as ContribSite

        post_save.connect(_contrib_site_changed, sender=ContribSite, dispatch_uid="cookiecharter.sites.contrib")
        post_delete.connect(_contrib_site_changed, sender=ContribSite, dispatch_uid="cookiecharter.sites.contrib")
