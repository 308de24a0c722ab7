"""The test settings' one site, as the tests ask about it."""

from __future__ import annotations

from django.http import HttpRequest

from cookiecharter.core.charter import Charter
from cookiecharter.core.consent import Consent
from cookiecharter.middleware import start
from cookiecharter.sites import Site, registry


def default_site() -> Site:
    return registry.get("default")


def charter() -> Charter:
    """The charter the site serves (the file's, with Django's own cookies declared)."""
    return default_site().charter


def sign(consent: Consent) -> str:
    """The consent cookie's value for ``consent``, signed as the site signs it."""
    return default_site().enforcer.codec.encode(consent)


def read(value: str | None) -> Consent:
    """What the site reads from a consent cookie's value."""
    return default_site().enforcer.read_consent(value)


def through_middleware(request: HttpRequest) -> HttpRequest:
    """A ``RequestFactory`` request as the middleware hands it on: with its site and consent."""
    start(request)
    return request
