"""The ``COOKIECHARTER`` settings dict: documented defaults, per-site entries, validation.

``read_settings()`` turns ``settings.COOKIECHARTER`` into one checked :class:`Settings` value or
raises ``ImproperlyConfigured`` naming the key at fault. It keeps nothing: the site registry
(``cookiecharter.sites``) reads it once and keeps what it built until a setting changes.

One installation may serve several sites, each a host name (or several) with its own charter::

    COOKIECHARTER = {
        "CHARTER": BASE_DIR / "charter.toml",          # the default site: any host not listed below
        "SITES": {
            "lyon": {"HOSTS": ["data.lyon.example"], "CHARTER": BASE_DIR / "lyon.toml"},
            "metropole": {"SITE_ID": 2, "CHARTER": BASE_DIR / "metropole.toml"},   # django.contrib.sites
        },
    }

Every per-site key left out of a ``SITES`` entry takes the top-level value, then the default.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .core.consent import SIX_MONTHS
from .core.filter import Undeclared
from .core.proof import DEFAULT_SITE

# DEFAULT_SITE names the site the top-level ``CHARTER`` configures: every host no other site claims.

#: Keys a ``SITES`` entry may set (and the top level too, as the default for every site).
SITE_DEFAULTS: dict[str, Any] = {
    # Path to the charter TOML file: the single source of truth.
    "CHARTER": None,
    # Host names this site answers (a leading dot matches every subdomain, as in ALLOWED_HOSTS).
    "HOSTS": (),
    # Instead of HOSTS, where django.contrib.sites is installed: the id of a Site whose domain is the host.
    "SITE_ID": None,
    # The consent cookie.
    "CONSENT_COOKIE_NAME": "cookies_preferences",
    "CONSENT_COOKIE_AGE": SIX_MONTHS,
    "CONSENT_COOKIE_DOMAIN": None,
    "CONSENT_COOKIE_PATH": "/",
    "CONSENT_COOKIE_SAMESITE": "Lax",
    "CONSENT_COOKIE_SECURE": False,
    # A cookie the charter does not declare: "block", "report" or "raise"; None raises under DEBUG
    # and blocks otherwise.
    "UNDECLARED": None,
    # Honour Global Privacy Control (Sec-GPC: 1) as a refusal of the purposes marked refused_by_gpc.
    "HONOUR_GPC": True,
    # Honour the ADPC header's withdrawals, objections and (for purposes the charter opts in) consents.
    "HONOUR_ADPC": True,
    # A choice made while signed in follows the person to every browser they sign in on (off by
    # default: the first layer then says so; docs/accounts.md).
    "FOLLOW_ACCOUNT": False,
    # Hide from the application (request.COOKIES, the Cookie header) every cookie of a purpose the
    # visitor has not granted, so that a withdrawn cookie cannot be read either.
    "WITHHOLD_COOKIES": True,
    # How long proof records are kept before cookiecharter_prune removes them (days).
    "LEDGER_RETENTION_DAYS": 5 * 366,
}

#: Keys only the top level sets: they are about the one installation, not about a site.
GLOBAL_DEFAULTS: dict[str, Any] = {
    "SITES": {},
    # How many proof records one seal covers (tamper evidence).
    "LEDGER_SEAL_BATCH": 1000,
    # Seal whatever is unsealed at least this often (seconds), so no burst leaves a long tail unsealed.
    "LEDGER_SEAL_INTERVAL": 60,
    # A record younger than this (seconds) waits for the next seal: on PostgreSQL a lower id can commit
    # after a higher one, and a seal must never skip a record still in flight.
    "LEDGER_SEAL_GRACE": 5,
    # A folder outside the database: the witness of the seals (checkpoints) and the proof records
    # waiting for the database when it does not answer. None: neither (check cookiecharter.W009).
    "LEDGER_DIRECTORY": None,
    # Database alias the ledger writes to.
    "LEDGER_DATABASE": "default",
    # URL name of the charter page (the banner and the footer link point at it).
    "CHARTER_URL_NAME": "cookiecharter:charter",
    # The site's own layout the charter page extends (it needs a {% block content %}); None: the
    # package's minimal standalone layout.
    "BASE_TEMPLATE": None,
}

DEFAULTS: dict[str, Any] = {**SITE_DEFAULTS, **GLOBAL_DEFAULTS}

_SITE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_SAMESITE = ("Lax", "Strict", "None", None)


@dataclass(frozen=True)
class ConsentCookie:
    """Where and how long the visitor's choice is kept."""

    name: str
    age: int
    domain: str | None
    path: str
    samesite: str | None
    secure: bool


@dataclass(frozen=True)
class SiteSettings:
    """One site's settings, merged and checked."""

    name: str
    charter: str
    hosts: tuple[str, ...]
    site_id: int | None
    consent_cookie: ConsentCookie
    #: None: "raise" under DEBUG, "block" otherwise.
    undeclared: Undeclared | None
    honour_gpc: bool
    retention_days: int
    withhold: bool = True
    honour_adpc: bool = True
    follow_account: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything ``COOKIECHARTER`` says, checked. ``sites`` has the default site first, if any."""

    sites: tuple[SiteSettings, ...]
    seal_batch: int
    database: str
    charter_url_name: str
    seal_interval: float = 60
    seal_grace: float = 5
    directory: str | None = None
    base_template: str | None = None

    @property
    def default(self) -> SiteSettings | None:
        return next((s for s in self.sites if s.name == DEFAULT_SITE), None)

    def site(self, name: str) -> SiteSettings:
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(name)


def _fail(key: str, message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"COOKIECHARTER{key}: {message}")


def _unknown_keys(given: Mapping[str, Any], allowed: Mapping[str, Any], where: str) -> None:
    for key in given:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            hint = f' Did you mean "{close[0]}"?' if close else f" Known keys: {', '.join(sorted(allowed))}."
            if key in GLOBAL_DEFAULTS and where:
                hint = " It is a setting of the whole installation: set it at the top level of COOKIECHARTER."
            raise _fail(where, f'unknown setting "{key}".{hint}')


def _site(name: str, values: Mapping[str, Any], where: str) -> SiteSettings:
    def typed(key: str, kind: type, what: str) -> Any:
        value = values[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise _fail(f'{where}["{key}"]', f"expected {what}, got {value!r}.")
        return value

    charter = values["CHARTER"]
    if not charter:
        raise _fail(f'{where}["CHARTER"]', "is not set: point it at the site's charter TOML file.")
    if not isinstance(charter, (str, os.PathLike)):
        raise _fail(f'{where}["CHARTER"]', f"expected a path, got {charter!r}.")
    hosts = values["HOSTS"]
    if isinstance(hosts, str) or not all(isinstance(h, str) and h for h in hosts):
        raise _fail(f'{where}["HOSTS"]', f"expected a list of host names, got {hosts!r}.")
    site_id = values["SITE_ID"]
    if site_id is not None and (isinstance(site_id, bool) or not isinstance(site_id, int)):
        raise _fail(f'{where}["SITE_ID"]', f"expected the id of a django.contrib.sites Site, got {site_id!r}.")
    if name != DEFAULT_SITE and not hosts and site_id is None:
        raise _fail(where, 'says which hosts it serves with "HOSTS" (or "SITE_ID" with django.contrib.sites).')
    age = typed("CONSENT_COOKIE_AGE", int, "a number of seconds")
    if age <= 0:
        raise _fail(f'{where}["CONSENT_COOKIE_AGE"]', f"expected a positive number of seconds, got {age!r}.")
    samesite = values["CONSENT_COOKIE_SAMESITE"]
    if samesite not in _SAMESITE:
        raise _fail(
            f'{where}["CONSENT_COOKIE_SAMESITE"]', f'expected "Lax", "Strict", "None" or None, got {samesite!r}.'
        )
    undeclared = values["UNDECLARED"]
    if undeclared is not None:
        try:
            undeclared = Undeclared(undeclared)
        except ValueError:
            raise _fail(
                f'{where}["UNDECLARED"]', f'expected "block", "report" or "raise", got {undeclared!r}.'
            ) from None
    domain = values["CONSENT_COOKIE_DOMAIN"]
    if domain is not None and not isinstance(domain, str):
        raise _fail(f'{where}["CONSENT_COOKIE_DOMAIN"]', f"expected a domain or None, got {domain!r}.")
    return SiteSettings(
        name=name,
        charter=os.fspath(charter),
        hosts=tuple(h.lower() for h in hosts),
        site_id=site_id,
        consent_cookie=ConsentCookie(
            name=typed("CONSENT_COOKIE_NAME", str, "a cookie name"),
            age=age,
            domain=domain,
            path=typed("CONSENT_COOKIE_PATH", str, "a path"),
            samesite=samesite,
            secure=typed("CONSENT_COOKIE_SECURE", bool, "True or False"),
        ),
        undeclared=undeclared,
        honour_gpc=typed("HONOUR_GPC", bool, "True or False"),
        retention_days=typed("LEDGER_RETENTION_DAYS", int, "a number of days"),
        withhold=typed("WITHHOLD_COOKIES", bool, "True or False"),
        honour_adpc=typed("HONOUR_ADPC", bool, "True or False"),
        follow_account=typed("FOLLOW_ACCOUNT", bool, "True or False"),
    )


def read_settings(user: Mapping[str, Any] | None) -> Settings:
    """``settings.COOKIECHARTER`` checked and merged over the defaults."""
    user = dict(user or {})
    _unknown_keys(user, DEFAULTS, "")
    top = {**SITE_DEFAULTS, **{k: v for k, v in user.items() if k in SITE_DEFAULTS}}
    sites: list[SiteSettings] = []
    if top["CHARTER"]:
        sites.append(_site(DEFAULT_SITE, top, ""))
    entries = user.get("SITES") or {}
    if not isinstance(entries, Mapping):
        raise _fail('["SITES"]', "expected a dict of site name -> that site's settings.")
    inherited = {k: v for k, v in top.items() if k not in ("CHARTER", "HOSTS", "SITE_ID")}
    for name, entry in entries.items():
        where = f'["SITES"]["{name}"]'
        if not isinstance(name, str) or not _SITE_NAME.fullmatch(name) or name == DEFAULT_SITE:
            raise _fail(
                f'["SITES"][{name!r}]',
                f'a site name is lowercase letters, digits, "-" and "_" (not "{DEFAULT_SITE}", the name of the '
                "site the top-level CHARTER configures).",
            )
        if not isinstance(entry, Mapping):
            raise _fail(where, "expected a dict of that site's settings.")
        _unknown_keys(entry, SITE_DEFAULTS, where)
        sites.append(_site(name, {**SITE_DEFAULTS, **inherited, **entry}, where))
    if not sites:
        raise _fail(
            '["CHARTER"]',
            "is not set: point it at the charter TOML file, e.g. "
            'COOKIECHARTER = {"CHARTER": BASE_DIR / "charter.toml"}.',
        )
    claimed: dict[str, str] = {}
    for site in sites:
        for host in site.hosts:
            if host in claimed:
                raise _fail(
                    f'["SITES"]["{site.name}"]["HOSTS"]',
                    f'"{host}" is already the host of site "{claimed[host]}": a host serves one site.',
                )
            claimed[host] = site.name
    glob = {**GLOBAL_DEFAULTS, **{k: v for k, v in user.items() if k in GLOBAL_DEFAULTS}}
    batch = glob["LEDGER_SEAL_BATCH"]
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise _fail('["LEDGER_SEAL_BATCH"]', f"expected a positive number of records, got {batch!r}.")
    interval = glob["LEDGER_SEAL_INTERVAL"]
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
        raise _fail('["LEDGER_SEAL_INTERVAL"]', f"expected a positive number of seconds, got {interval!r}.")
    grace = glob["LEDGER_SEAL_GRACE"]
    if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0:
        raise _fail('["LEDGER_SEAL_GRACE"]', f"expected a number of seconds, got {grace!r}.")
    directory = glob["LEDGER_DIRECTORY"]
    if directory is not None and not isinstance(directory, (str, os.PathLike)):
        raise _fail('["LEDGER_DIRECTORY"]', f"expected the path of a folder, got {directory!r}.")
    return Settings(
        sites=tuple(sites),
        seal_batch=batch,
        database=str(glob["LEDGER_DATABASE"]),
        charter_url_name=str(glob["CHARTER_URL_NAME"]),
        seal_interval=float(interval),
        seal_grace=float(grace),
        directory=os.fspath(directory) if directory is not None else None,
        base_template=glob["BASE_TEMPLATE"] or None,
    )
