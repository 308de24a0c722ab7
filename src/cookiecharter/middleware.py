"""``CookieCharterMiddleware``: no cookie leaves the site unless the charter allows it.

Put it **first** in ``MIDDLEWARE``: a response passes through middleware in reverse order, so the
first one is the last to see it and sees every cookie set by the view and by every other
middleware (session, CSRF, locale). On the way in it puts the visitor's consent on the request
(``request.consent``); on the way out it hands the response's cookies to the pure filter
(``cookiecharter.core.decision``) and applies the outcome: blocked cookies removed, over-long
lifetimes capped, deletion headers added for cookies of purposes not (or no longer) granted.

It costs almost nothing when there is nothing to do: a response that sets no cookie, from a
browser that sends none of a purpose needing consent, is returned after two dict lookups,
without reading the consent cookie.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import lru_cache
from http.cookies import Morsel
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from . import conf, observed
from .charter import get_charter
from .consent import get_consent
from .core.decision import CookieFilter, CookieToSet, Outcome, Policy, Reason, Undeclared
from .core.enforcement import undeclared_message
from .core.setcookie import SetCookieHeader, http_date, lifetime_from, parse_http_date

logger = logging.getLogger("cookiecharter.enforcement")


class UndeclaredCookieError(ImproperlyConfigured):
    """A response set a cookie the charter does not declare (``UNDECLARED = "raise"``)."""


@lru_cache(maxsize=None)
def enforcement_policy() -> Policy:
    """The core's policy from the settings (cached; cleared when settings change)."""
    cfg = conf.config()
    mode = cfg.get("UNDECLARED")
    if mode is None:
        mode = Undeclared.RAISE if settings.DEBUG else Undeclared.BLOCK
    try:
        undeclared = Undeclared(mode)
    except ValueError:
        raise ImproperlyConfigured(
            f'COOKIECHARTER["UNDECLARED"] must be "block", "report" or "raise", not {mode!r}'
        ) from None
    return Policy(consent_cookie_name=cfg["CONSENT_COOKIE_NAME"], undeclared=undeclared)


conf.on_clear(enforcement_policy.cache_clear)


#: (charter, its compiled filter): the filter is rebuilt only when get_charter() returns a new
#: charter object (a settings change, or the file edited under DEBUG).
_compiled: tuple[Any, CookieFilter] | None = None


def cookie_filter() -> CookieFilter:
    """The compiled filter for the current charter (compiled once per charter object)."""
    global _compiled
    compiled = _compiled
    # Outside DEBUG the charter only changes with the settings, and a settings change clears
    # _compiled: no need to ask get_charter() on every request.
    if compiled is not None and not conf.debug():
        return compiled[1]
    charter = get_charter()
    if compiled is not None and compiled[0] is charter:
        return compiled[1]
    flt = CookieFilter.for_charter(charter, enforcement_policy())
    _compiled = (charter, flt)
    return flt


@conf.on_clear
def _forget_compiled() -> None:
    global _compiled
    _compiled = None


class RequestConsent:
    """``request.consent``: the request's ``Consent``, read from the cookie on first use.

    Lazy because most responses never need it and reading it means checking an HMAC; a slotted
    proxy rather than ``SimpleLazyObject`` because it is built on every request and this is
    several times cheaper. Every attribute of ``Consent`` (``allows``, ``granted``, ``decided``...)
    reads through.
    """

    __slots__ = ("_request",)

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @property
    def consent(self) -> Any:
        return get_consent(self._request)

    def allows(self, purpose: str) -> bool:
        return get_consent(self._request).allows(purpose)

    def __getattr__(self, name: str) -> Any:
        return getattr(get_consent(self._request), name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestConsent):
            other = other.consent
        return self.consent == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<RequestConsent {self.consent!r}>"


class CookieCharterMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        _start(request)
        response = self.get_response(request)
        if request.META.get("HTTP_SEC_GPC") == "1":
            _record_browser_signal(request, response)
        sightings = enforce(request, response)
        if sightings:
            observed.record(sightings)
            _raise_if_asked(sightings)
        return response

    async def __acall__(self, request: HttpRequest) -> Any:
        _start(request)
        response = await self.get_response(request)
        if request.META.get("HTTP_SEC_GPC") == "1":
            await sync_to_async(_record_browser_signal, thread_sensitive=True)(request, response)
        sightings = enforce(request, response)
        if sightings:
            await sync_to_async(observed.record, thread_sensitive=True)(sightings)
            _raise_if_asked(sightings)
        return response


def _record_browser_signal(request: HttpRequest, response: HttpResponseBase) -> None:
    """A page view with ``Sec-GPC: 1`` and no decision yet: record the refusal the signal implies
    and set the cookie that remembers it, before the cookies are filtered (see ``decisions``)."""
    from .decisions import record_browser_signal

    record_browser_signal(request, response)  # type: ignore[arg-type]


def _start(request: HttpRequest) -> None:
    if conf.debug():
        cookie_filter()  # notices an edited charter before any consent is trusted
    request.consent = RequestConsent(request)  # type: ignore[attr-defined]


def _raise_if_asked(sightings: list[observed.Sighting]) -> None:
    undeclared = [s for s in sightings if s.reason == Reason.UNDECLARED.value]
    if not undeclared or enforcement_policy().undeclared is not Undeclared.RAISE:
        return
    # Every sighting of one response has that response's path.
    raise UndeclaredCookieError(
        undeclared_message(
            undeclared, undeclared[0].path, other_policies='set COOKIECHARTER["UNDECLARED"] to "block" or "report"'
        )
    )


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "-"
    return match.view_name or match._func_path


def enforce(request: HttpRequest, response: HttpResponseBase) -> list[observed.Sighting]:
    """Filter the response's cookies in place; return what to record (empty when all was fine)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match.func, "cookiecharter_exempt", False):
        return []
    cookies = response.cookies
    raw = _raw_set_cookie(response)
    present = request.COOKIES
    flt = cookie_filter()
    # Could a request cookie need deleting, for some consent? (no consent read to know that)
    attention = bool(present) and flt.needs_attention(present)
    if not cookies and raw is None and not attention:
        return []

    # A decision made in this very response (the consent endpoint) counts, not the old one.
    # get_consent, not the lazy request.consent: same object, without the proxy's toll.
    fresh = getattr(response, "cookiecharter_consent", None)
    if raw is None:
        # The common page response: it refreshes exempt cookies (Django re-sets the CSRF cookie
        # on every page with a form; its max-age is an int when set_cookie wrote it). What is
        # left then is deleting, which needs a request cookie of a purpose needing consent, and
        # that purpose not granted.
        for morsel in cookies.values():
            age = morsel["max-age"]
            if type(age) is not int or not flt.untouched(morsel.key, age):
                break
        else:
            if not attention or not flt.deletable_purposes - (fresh or get_consent(request)).granted:
                return []

    now = time.time()
    morsels: list[Morsel] = list(cookies.values())
    lifetimes = [_morsel_lifetime(m, now) for m in morsels]
    to_set = [CookieToSet(m.key, life) for m, life in zip(morsels, lifetimes)]
    header = SetCookieHeader.parse(raw) if raw is not None else None
    if header is not None:
        to_set.append(CookieToSet(header.name, header.lifetime(now)))
    consent = fresh or get_consent(request)
    outcome = flt.decide(to_set, present, consent)
    if not outcome.changes_response and not outcome.reported:
        return []
    return _apply(request, response, outcome, morsels, header, now)


def _raw_set_cookie(response: HttpResponseBase) -> str | None:
    """A ``Set-Cookie`` header set by hand (not through ``response.cookies``), if any.

    Read from the headers' own store when it is there: ``headers.get`` of a missing header, the
    common case, raises and catches a ``KeyError`` on every response.
    """
    headers = response.headers
    store = getattr(headers, "_store", None)
    if type(store) is dict:
        item = store.get("set-cookie")
        return None if item is None else item[1]
    return headers.get("Set-Cookie")


def _apply(
    request: HttpRequest,
    response: HttpResponseBase,
    outcome: Outcome,
    morsels: list[Morsel],
    header: SetCookieHeader | None,
    now: float,
) -> list[observed.Sighting]:
    path = request.path
    view = _view_name(request)
    raw_index = len(morsels)  # the raw header, when there is one, comes after the morsels
    sightings: list[observed.Sighting] = []

    for capped in outcome.capped:
        if capped.index == raw_index and header is not None:
            response.headers["Set-Cookie"] = header.with_lifetime(capped.allowed, now)
        else:
            morsel = morsels[capped.index]
            if capped.allowed is None:
                morsel["max-age"] = ""
                morsel["expires"] = ""
            else:
                morsel["max-age"] = capped.allowed
                morsel["expires"] = http_date(now + capped.allowed)
        logger.warning(
            "cookie %r asked to live %s s, more than its declared %s: capped (path %s, view %s)",
            capped.name, capped.requested, capped.declaration.lifetime, path, view,
            extra={"cookie": capped.name, "reason": Reason.LIFETIME_CAPPED.value, "path": path, "view": view},
        )
        sightings.append(observed.Sighting(capped.name, Reason.LIFETIME_CAPPED.value, path, capped.requested))

    for blocked in outcome.blocked:
        if blocked.index == raw_index and header is not None:
            del response.headers["Set-Cookie"]
        else:
            # SimpleCookie is keyed by name: the morsel at this index is the one under its key.
            response.cookies.pop(morsels[blocked.index].key, None)
        logger.warning(
            "blocked cookie %r: %s%s (path %s, view %s)",
            blocked.name,
            blocked.reason.value,
            f" (purpose {blocked.purpose!r})" if blocked.purpose else "",
            path,
            view,
            extra={"cookie": blocked.name, "reason": blocked.reason.value, "path": path, "view": view},
        )
        sightings.append(observed.Sighting(blocked.name, blocked.reason.value, path, blocked.lifetime))

    for reported in outcome.reported:
        logger.warning(
            "undeclared cookie %r let through (UNDECLARED is \"report\") (path %s, view %s)",
            reported.name, path, view,
            extra={"cookie": reported.name, "reason": reported.reason.value, "path": path, "view": view},
        )
        sightings.append(observed.Sighting(reported.name, reported.reason.value, path, reported.lifetime))

    for deletion in outcome.deletions:
        response.delete_cookie(deletion.name, path=deletion.path, domain=deletion.domain or None)
        logger.info(
            "deleting cookie %r of a purpose not granted (path %s, view %s)", deletion.name, path, view,
            extra={"cookie": deletion.name, "reason": "deleted", "path": path, "view": view},
        )
    return sightings


def _morsel_lifetime(morsel: Morsel, now: float) -> int | None:
    raw_age = morsel["max-age"]
    if type(raw_age) is int:  # what Django's set_cookie writes: no need to read Expires
        return raw_age
    max_age: int | None = None
    if raw_age != "":
        try:
            max_age = int(raw_age)
        except (TypeError, ValueError):
            max_age = None
    expires = morsel["expires"]
    if max_age is not None:
        return max_age
    return lifetime_from(None, parse_http_date(expires) if expires else None, now)
