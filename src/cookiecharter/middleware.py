"""``CookieCharterMiddleware``: no cookie leaves the site unless its charter allows it.

Put it **first** in ``MIDDLEWARE``: a response passes through middleware in reverse order, so the
first one is the last to see it and sees every cookie set by the view and by every other
middleware (session, CSRF, locale).

On the way in it finds the request's site (``request.cookiecharter_site``) and reads the
visitor's choice (``request.consent``, always a ``Consent``). On the way out it maps the
response's cookies onto the core's one applier (``core.headers.Enforcer``) and writes the
decisions back: blocked cookies removed, over-long lifetimes capped, deletion headers added for
the cookies of purposes not (or no longer) granted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http.cookies import CookieError, Morsel
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseNotFound
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

from . import accounts, choices, observed
from .consent_ui import ui_for
from .core.consent import Consent
from .core.filter import CookieToSet, Outcome
from .core.headers import without
from .core.setcookie import SetCookieHeader, http_date, lifetime_from, parse_cookie_date
from .sites import Site, SiteRegistry, registry

logger = logging.getLogger("cookiecharter.enforcement")


class CookieCharterMiddleware:
    sync_capable = True
    async_capable = True
    #: Where the sites come from: the installation's registry (a subclass may name another).
    registry: SiteRegistry = registry

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        site = start(request, self.registry)
        if site is None:
            return unknown_host(request)
        response = self.get_response(request)
        if choices.browser_signal_due(request, response):
            choices.record_browser_signal(request, response)
        outcome = enforce(site, request, response)
        if outcome is not None or getattr(request, WITHHELD, None):
            finish(site, request, outcome)
        conclude(site, request, response)
        return response

    async def __acall__(self, request: HttpRequest) -> Any:
        site = start(request, self.registry)
        if site is None:
            return unknown_host(request)
        response = await self.get_response(request)
        if choices.browser_signal_due(request, response):
            await sync_to_async(choices.record_browser_signal, thread_sensitive=True)(request, response)
        outcome = enforce(site, request, response)
        if outcome is not None or getattr(request, WITHHELD, None):
            await sync_to_async(finish, thread_sensitive=True)(site, request, outcome)
        conclude(site, request, response)
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        """Once ``request.user`` is known (after the authentication middleware): for a signed-in
        person on a site whose choices follow accounts, bring the account's choice here when the
        rules say so (``cookiecharter.accounts``). Django runs this in a thread when serving
        asynchronously."""
        site: Site | None = getattr(request, "cookiecharter_site", None)
        if site is None or not site.config.follow_account or getattr(view, "cookiecharter_choice", False):
            return  # a choice being posted replaces both the browser's and the account's
        consent = accounts.follow(site, request, choices.page_language(site, request))
        if consent is not None:
            request.consent = consent
            withhold(site, request, consent)


#: Where the request keeps the names of the cookies hidden from the application.
WITHHELD = "cookiecharter_withheld"


def start(request: HttpRequest, sites: SiteRegistry = registry) -> Site | None:
    """Put the request's site and the visitor's choice on the request (None: no site serves it),
    and hide from the application the cookies of the purposes that choice does not grant."""
    site = sites.for_request(request)
    if site is None:
        return None
    request.cookiecharter_site = site
    consent = site.read_consent(request)
    if "HTTP_ADPC" in request.META:
        consent = choices.narrowed(site, request, consent)  # a withdrawal refuses at once
    request.consent = consent
    withhold(site, request, consent)
    return site


def withhold(site: Site, request: HttpRequest, consent: Consent) -> None:
    """Hide from the application the cookies of the purposes ``consent`` does not grant."""
    if not site.config.withhold:
        return
    hidden = site.enforcer.withheld(request.COOKIES, consent)
    if hidden:
        setattr(request, WITHHELD, [*getattr(request, WITHHELD, ()), *hidden])
        request.COOKIES = {k: v for k, v in request.COOKIES.items() if k not in hidden}
        request.META["HTTP_COOKIE"] = without(request.META.get("HTTP_COOKIE", ""), hidden)


def unknown_host(request: HttpRequest) -> HttpResponseNotFound:
    """The answer to a host no site serves when no default site is configured: nothing is served
    without a charter to hold its cookies to (docs/sites.md)."""
    return HttpResponseNotFound(
        "No site of this installation serves this host name.", content_type="text/plain; charset=utf-8"
    )


def conclude(site: Site, request: HttpRequest, response: HttpResponseBase) -> None:
    """The last touches, once the response's cookies are judged: the account's choice written into
    the browser when it was brought here, ``Vary: Cookie`` where the page depends on the choice,
    and the link to the ADPC consent requests on a page of a site that publishes them."""
    applied = getattr(request, accounts.NEXT_COOKIE, None)
    # Unless the response sets a newer choice itself (a choice posted, a signal recorded).
    if applied is not None and site.config.consent_cookie.name not in response.cookies:
        site.set_consent_cookie(response, applied)
    vary(request, response)
    if site.publishes_adpc and response.get("Content-Type", "").startswith("text/html"):
        link = ui_for(request, site).adpc_link
        response.headers["Link"] = f"{response.headers['Link']}, {link}" if "Link" in response.headers else link


def vary(request: HttpRequest, response: HttpResponseBase) -> None:
    """A page rendered with the visitor's choice (the banner for a visitor who has not chosen, an
    ``ifconsent`` block, an "allow" button) must never be served from a shared cache to someone
    else: one visitor's statistics script, or the absence of a banner, would reach everybody."""
    if getattr(request, "cookiecharter_varies", False):
        patch_vary_headers(response, ("Cookie",))


def _exempt(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and getattr(match.func, "cookiecharter_exempt", False)


def enforce(site: Site, request: HttpRequest, response: HttpResponseBase) -> Outcome | None:
    """Judge the response's cookies and write the decisions back; the decisions when anything was
    stopped, capped, deleted or reported, else None."""
    if _exempt(request):
        return None
    now = time.time()
    morsels: list[Morsel] = list(response.cookies.values())
    to_set = [CookieToSet(m.key, _lifetime(m, now), m.value) for m in morsels]
    # A Set-Cookie header set by hand (response["Set-Cookie"] = ...) rather than through set_cookie.
    raw = response.headers.get("Set-Cookie")
    header = SetCookieHeader.parse(raw) if raw is not None else None
    if header is not None:
        to_set.append(header.to_set(now))
    # The browser still holds the cookies hidden from the view: they may call for a deletion.
    present = [*request.COOKIES, *getattr(request, WITHHELD, ())]
    outcome = site.enforcer.judge(to_set, present, request.consent)
    if outcome is None:
        return None
    raw_index = len(morsels)  # the hand-set header, when there is one, comes after the morsels
    for capped in outcome.capped:
        if capped.index == raw_index and header is not None:
            response.headers["Set-Cookie"] = header.with_lifetime(capped.allowed, now)
        else:
            morsel = morsels[capped.index]
            morsel["max-age"] = "" if capped.allowed is None else capped.allowed
            morsel["expires"] = "" if capped.allowed is None else http_date(now + capped.allowed)
    for blocked in outcome.blocked:
        if blocked.index == raw_index and header is not None:
            del response.headers["Set-Cookie"]
        else:
            response.cookies.pop(morsels[blocked.index].key, None)
    for deletion in outcome.deletions:
        try:
            response.delete_cookie(deletion.name, path=deletion.path, domain=deletion.domain or None)
        except CookieError:
            # A name the browser kept but Django's cookie writer refuses (a space in it, say): it
            # cannot be deleted from here, and is no reason for a 500; it is withheld from the view.
            logger.warning("cannot delete cookie %r: Django cannot write a cookie of that name", deletion.name)
    return outcome


def finish(site: Site, request: HttpRequest, outcome: Outcome | None) -> None:
    """Count what was stopped or withheld (for the back office), log it, and raise under the
    "raise" policy."""
    observed.record(site.name, outcome, request.path, withheld=getattr(request, WITHHELD, ()))
    if outcome is not None:
        match = getattr(request, "resolver_match", None)
        site.enforcer.report(outcome, request.path, match.view_name if match is not None else "-")


def _lifetime(morsel: Morsel, now: float) -> int | None:
    """Seconds the browser will keep the cookie (None: a session cookie), Max-Age first (RFC 6265)."""
    age = morsel["max-age"]
    if type(age) is int:  # what Django's set_cookie writes
        return age
    if age != "":
        try:
            return int(age)
        except (TypeError, ValueError):
            pass  # a browser ignores a Max-Age it cannot read; so does the filter
    expires = morsel["expires"]
    if isinstance(expires, int):  # http.cookies reads an int Expires as seconds from now
        return expires
    return lifetime_from(None, parse_cookie_date(str(expires)) if expires else None, now)
