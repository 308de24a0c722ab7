"""The request's consent, read from the signed ``cookies_preferences`` cookie (Django layer).

``get_consent(request)`` is the one way to ask "what did this visitor decide?"; the middleware puts
the same object on ``request.consent``. Keys are derived from ``SECRET_KEY`` here, in one place,
and rotate with ``SECRET_KEY_FALLBACKS`` like Django's own signed cookies.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from . import conf
from .charter import get_charter
from .core.consent import Consent, ConsentCodec

_UNDECIDED = Consent.undecided()

if TYPE_CHECKING:
    from .core.charter import Charter

#: Salts keep the cookie key and the ledger key apart from each other and from Django's own uses.
CONSENT_SALT = "cookiecharter.consent"
LEDGER_SALT = "cookiecharter.ledger"

_REQUEST_ATTR = "_cookiecharter_consent"


def derive_key(salt: str, secret: str | bytes) -> bytes:
    """A 32-byte key for ``salt`` from one Django secret (HMAC-SHA256, as ``salted_hmac`` does)."""
    return salted_hmac(salt, "cookiecharter-key", secret=secret, algorithm="sha256").digest()


def derived_keys(salt: str) -> list[bytes]:
    """The current key first, then one per ``SECRET_KEY_FALLBACKS`` entry (read-only use)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [derive_key(salt, s) for s in secrets]


@lru_cache(maxsize=None)
def codec() -> ConsentCodec:
    current, *fallbacks = derived_keys(CONSENT_SALT)
    return ConsentCodec(current, fallbacks)


conf.on_clear(codec.cache_clear)


def current_charter() -> Charter:
    """The site's charter: ``cookiecharter.charter.get_charter()`` (the file plus Django's cookies)."""
    return get_charter()


def get_consent(request: HttpRequest) -> Consent:
    """The verified decision of the request's visitor (``Consent.undecided()`` when there is none).

    Cached on the request; the consent endpoint and the browser-signal recorder replace the cache
    with the decision they just made, so templates rendered later in the same request see it.
    """
    attrs = request.__dict__
    cached = attrs.get(_REQUEST_ATTR)
    if cached is not None:
        return cached
    consent = attrs[_REQUEST_ATTR] = read_consent_cookie(request)
    return consent


def read_consent_cookie(request: HttpRequest) -> Consent:
    name, max_age = _cookie_settings()
    value = request.COOKIES.get(name)
    if not value:
        return _UNDECIDED
    charter = get_charter()
    # now=None: the codec reads the clock itself, without building a datetime for a known value.
    return codec().decode(value, charter_version=charter.consent_version, max_age=max_age,
                          purposes=charter.consent_keys)


@lru_cache(maxsize=None)
def _cookie_settings() -> tuple[str, int]:
    """The consent cookie's name and lifetime: read on every request, so kept ready."""
    cfg = conf.config()
    return cfg["CONSENT_COOKIE_NAME"], int(cfg["CONSENT_COOKIE_AGE"])


conf.on_clear(_cookie_settings.cache_clear)


def remember_consent(request: HttpRequest, consent: Consent) -> None:
    """Make ``get_consent`` (and ``request.consent``) return a decision made during this request."""
    request.__dict__[_REQUEST_ATTR] = consent
    if hasattr(request, "consent"):
        request.consent = consent  # type: ignore[attr-defined]


def set_consent_cookie(response: HttpResponse, consent: Consent) -> None:
    """Write the signed cookie: same lifetime for a refusal as for a consent; readable by the page
    script (not HttpOnly), which needs the granted purposes to activate scripts."""
    cfg = conf.config()
    response.set_cookie(
        cfg["CONSENT_COOKIE_NAME"],
        codec().encode(consent),
        max_age=int(cfg["CONSENT_COOKIE_AGE"]),
        domain=cfg["CONSENT_COOKIE_DOMAIN"],
        path=cfg["CONSENT_COOKIE_PATH"],
        secure=bool(cfg["CONSENT_COOKIE_SECURE"]),
        httponly=False,
        samesite=cfg["CONSENT_COOKIE_SAMESITE"],
    )
    response.cookiecharter_consent = consent  # type: ignore[attr-defined]
